using System.Text.RegularExpressions;

namespace EpdBatch.Pipeline;

/// <summary>
/// Takes the secrets out of connection strings and URIs before they reach a log or an error message: URI
/// passwords (<c>amqp://user:***@host</c>), <c>password=</c> of Redis and ADO-style strings, Azure's
/// <c>AccountKey</c>, <c>SharedAccessSignature</c> and <c>SharedAccessKey</c>, and the <c>sig=</c> of a SAS URL.
/// </summary>
public static partial class SecretRedactor
{
    public const string Mask = "***";

    public static string Redact(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return string.Empty;
        }

        var redacted = UriPassword().Replace(value, "$1" + Mask + "@");
        redacted = AzureSecret().Replace(redacted, "$1=" + Mask);
        redacted = Password().Replace(redacted, "$1=" + Mask);
        return SasSignature().Replace(redacted, "$1" + Mask);
    }

    // scheme://user:password@ — the password ends at the last '@' before the host.
    [GeneratedRegex(@"([a-zA-Z][a-zA-Z0-9+.\-]*://[^:/@\s]*:)[^/\s]*@")]
    private static partial Regex UriPassword();

    // Azure connection strings separate entries with ';', and their secrets contain '=', '+', '/' and '&'.
    [GeneratedRegex(@"(?i)\b(AccountKey|SharedAccessSignature|SharedAccessKey)\s*=[^;]*")]
    private static partial Regex AzureSecret();

    // Redis separates options with ',', ADO-style strings with ';'.
    [GeneratedRegex(@"(?i)\b(password|pwd)\s*=[^;,]*")]
    private static partial Regex Password();

    [GeneratedRegex(@"(?i)([?&;]sig=)[^&;\s]*")]
    private static partial Regex SasSignature();
}
