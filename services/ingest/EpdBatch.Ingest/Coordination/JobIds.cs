using System.Globalization;
using System.Security.Cryptography;

namespace EpdBatch.Ingest.Coordination;

/// <summary>Job ids: <c>job-20250101-020000-1a2b3c4d</c>, sortable by creation, valid in a Redis key, a blob path and a queue name.</summary>
internal static class JobIds
{
    public static string New(DateTimeOffset now) =>
        string.Create(CultureInfo.InvariantCulture, $"job-{now.UtcDateTime:yyyyMMdd-HHmmss}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}");
}
