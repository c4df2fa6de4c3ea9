using System.Globalization;

namespace EpdBatch.Bench;

/// <summary>
/// <c>--name value</c> options and <c>--flag</c> switches after the command word. Every option a command reads is
/// looked up by name; anything left unread is an error, so a misspelt option fails instead of being ignored.
/// </summary>
internal sealed class BenchArguments
{
    private static readonly HashSet<string> s_switches = new(StringComparer.Ordinal) { "help", "config-only", "verbose" };

    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    private BenchArguments(string command)
    {
        Command = command;
    }

    public string Command { get; }

    public static BenchArguments Parse(IReadOnlyList<string> args)
    {
        var command = args.Count > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[0] : "help";
        var parsed = new BenchArguments(command);
        var start = args.Count > 0 && args[0] == command ? 1 : 0;
        for (var i = start; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"unexpected argument '{arg}' (options are spelt --name value)");
            }
            var name = arg[2..];
            var equals = name.IndexOf('=', StringComparison.Ordinal);
            if (equals >= 0)
            {
                parsed._values[name[..equals]] = name[(equals + 1)..];
            }
            else if (s_switches.Contains(name))
            {
                parsed._values[name] = "true";
            }
            else if (i + 1 < args.Count)
            {
                parsed._values[name] = args[++i];
            }
            else
            {
                throw new ArgumentException($"--{name} needs a value");
            }
        }
        return parsed;
    }

    public bool Has(string name)
    {
        _read.Add(name);
        return _values.ContainsKey(name);
    }

    public string? String(string name)
    {
        _read.Add(name);
        return _values.TryGetValue(name, out var value) ? value : null;
    }

    public string Required(string name) =>
        String(name) ?? throw new ArgumentException($"{Command}: --{name} is required (see --help)");

    public int Int(string name, int fallback)
    {
        var text = String(name);
        if (text is null)
        {
            return fallback;
        }
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : throw new ArgumentException($"--{name} must be a positive integer (got '{text}')");
    }

    public int[] IntList(string name, int[] fallback)
    {
        var text = String(name);
        if (text is null)
        {
            return fallback;
        }
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var values = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out values[i]) || values[i] < 1)
            {
                throw new ArgumentException($"--{name} must be a comma-separated list of positive integers (got '{text}')");
            }
        }
        return values.Length > 0 ? values : throw new ArgumentException($"--{name} is empty");
    }

    /// <summary>Throws for options the command never looked at (typos, options of another command).</summary>
    public void RejectUnknown()
    {
        var unknown = _values.Keys.Where(k => !_read.Contains(k)).Order(StringComparer.Ordinal).ToArray();
        if (unknown.Length > 0)
        {
            throw new ArgumentException($"{Command}: unknown option(s) {string.Join(", ", unknown.Select(u => "--" + u))} (see --help)");
        }
    }
}
