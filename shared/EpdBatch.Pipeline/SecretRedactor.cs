using System.Text.RegularExpressions;

namespace EpdBatch.Pipeline;

/// <summary>
/// Takes the secrets out of connection strings and URIs before they reach a log or an error message: URI
/// passwords (<c>amqp://user:***@host</c>), <c>password=</c> of Redis and ADO-style strings, Azure's
/// <c>AccountKey</c>, <c>SharedAccessSignature</c> and <c>SharedAccessKey</c>, and the <c>sig=</c> of a SAS URL.
/// The secret values of the process's own connection settings (<see cref="RememberSecretsOf"/>) are masked
/// wherever they appear, even out of those contexts (an exception that quotes a password alone, a decoded URI).
/// </summary>
public static partial class SecretRedactor
{
    public const string Mask = "***";

    /// <summary>Shorter values are not remembered: masking every occurrence of a short string would mangle ordinary text.</summary>
    public const int MinRememberedLength = 6;

    private static readonly Lock s_lock = new();
    private static string[] s_known = [];

    public static string Redact(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return string.Empty;
        }

        var redacted = value;
        foreach (var secret in Volatile.Read(ref s_known))
        {
            redacted = redacted.Replace(secret, Mask, StringComparison.Ordinal);
        }

        redacted = UriPassword().Replace(redacted, "$1" + Mask + "@");
        redacted = AzureSecret().Replace(redacted, "$1=" + Mask);
        redacted = Password().Replace(redacted, "$1=" + Mask);
        return SasSignature().Replace(redacted, "$1" + Mask);
    }

    /// <summary>
    /// Remembers the secrets in the connection settings (the broker's password, the Redis password, the storage
    /// account key or SAS) so that <see cref="Redact"/> masks them anywhere, in every form they are written in
    /// (as given, percent-decoded and percent-encoded).
    /// </summary>
    public static void RememberSecretsOf(EpdConnectionOptions connections)
    {
        ArgumentNullException.ThrowIfNull(connections);
        if (connections.RabbitMq is { } amqp && Uri.TryCreate(amqp, UriKind.Absolute, out var uri) && uri.UserInfo.IndexOf(':', StringComparison.Ordinal) is >= 0 and var colon)
        {
            Remember(uri.UserInfo[(colon + 1)..]);
        }

        if (connections.Redis is { } redis)
        {
            try
            {
                Remember(StackExchange.Redis.ConfigurationOptions.Parse(redis).Password);
            }
            catch (ArgumentException)
            {
                // Not a valid configuration string: validation reports it, redacted by the patterns.
            }
        }

        foreach (var part in (connections.Blob ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? part : part[..equals];
            if (equals > 0 && name.Trim() is var key
                && (key.Equals("AccountKey", StringComparison.OrdinalIgnoreCase)
                    || key.Equals("SharedAccessSignature", StringComparison.OrdinalIgnoreCase)
                    || key.Equals("SharedAccessKey", StringComparison.OrdinalIgnoreCase)))
            {
                Remember(part[(equals + 1)..]);
            }
        }
    }

    /// <summary>Remembers one secret value (see <see cref="RememberSecretsOf"/>); values shorter than <see cref="MinRememberedLength"/> are ignored.</summary>
    public static void Remember(string? secret)
    {
        if (string.IsNullOrEmpty(secret))
        {
            return;
        }

        string[] forms = [secret, Uri.UnescapeDataString(secret), Uri.EscapeDataString(secret)];
        lock (s_lock)
        {
            // Longest first, so that a secret containing another is masked whole.
            s_known = [.. s_known.Concat(forms.Where(static f => f.Length >= MinRememberedLength)).Distinct(StringComparer.Ordinal).OrderByDescending(static f => f.Length)];
        }
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

    // The signature ends at the next parameter, or where the URI ends inside quoted text.
    [GeneratedRegex(@"(?i)([?&;]sig=)[^&;\s""']*")]
    private static partial Regex SasSignature();
}
