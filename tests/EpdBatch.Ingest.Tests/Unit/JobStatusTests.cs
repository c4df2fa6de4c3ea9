using System.Text.Json;
using EpdBatch.Ingest.Client;
using EpdBatch.Ingest.Jobs;

namespace EpdBatch.Ingest.Tests.Unit;

/// <summary>A job as the CLI shows it (<c>epd status</c>, its <c>--json</c>, <c>epd submit</c>, the run summary).</summary>
public class JobStatusTests
{
    [Test]
    public void A_record_that_holds_a_sas_token_is_shown_without_it()
    {
        const string Signature = "Status0Signature1Never2Shown3";
        const string Sas = "?sv=2024-05-04&sp=rw&sig=" + Signature;
        // A record made before tokens were dropped on submit, whose error quotes the output URI.
        var record = new JobRecord
        {
            Id = "job-1",
            State = JobState.Failed,
            ManifestUri = "https://acct.blob.core.windows.net/in/m.jsonl" + Sas,
            OutputUri = "https://acct.blob.core.windows.net/out/run" + Sas,
            ErrorCode = "export_failed",
            ErrorMessage = "Cannot write https://acct.blob.core.windows.net/out/run" + Sas + " (403)",
            CreatedAt = DateTimeOffset.UnixEpoch,
        };

        var status = JobStatus.From(record, new Dictionary<string, long>());

        Assert.That(JsonSerializer.Serialize(status), Does.Not.Contain(Signature));
        Assert.That(status.ManifestUri, Is.EqualTo("https://acct.blob.core.windows.net/in/m.jsonl?sv=2024-05-04&sp=rw&sig=***"));
        Assert.That(status.OutputUri, Does.StartWith("https://acct.blob.core.windows.net/out/run?sv=2024-05-04&sp=rw&sig=***"));
        Assert.That(status.ErrorMessage, Is.EqualTo("Cannot write https://acct.blob.core.windows.net/out/run?sv=2024-05-04&sp=rw&sig=*** (403)"));
    }

    [Test]
    public void A_record_without_an_error_keeps_its_error_null() =>
        Assert.That(JobStatus.From(new JobRecord { Id = "job-2", State = JobState.Completed, ManifestUri = "az://in/m.jsonl", OutputUri = "az://out", CreatedAt = DateTimeOffset.UnixEpoch },
            new Dictionary<string, long>()).ErrorMessage, Is.Null);
}
