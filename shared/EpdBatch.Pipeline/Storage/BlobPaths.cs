using System.Text.RegularExpressions;

namespace EpdBatch.Pipeline.Storage;

/// <summary>
/// Checks on the text of blob URIs and local paths that must hold before any request is made: container names,
/// dot segments (also percent-encoded), and where a local path really leads once symbolic links are followed.
/// </summary>
internal static partial class BlobPaths
{
    private const int MaxLinkHops = 40;

    /// <summary>Azure's container naming rule: 3 to 63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit.</summary>
    public static bool IsContainerName(string name) => name.Length is >= 3 and <= 63 && ContainerName().IsMatch(name);

    /// <summary>
    /// The characters of a container name (lowercase letters, digits, single hyphens), any length up to 63: what a
    /// URI is checked against. The service itself enforces the 3-character minimum.
    /// </summary>
    public static bool HasContainerCharacters(string name) => name.Length is >= 1 and <= 63 && ContainerName().IsMatch(name);

    /// <summary>
    /// The path part of <paramref name="uri"/> as written (System.Uri removes dot segments while parsing, so the
    /// checks must see the raw text): after the authority, up to the query or fragment. For <c>az://</c> URIs, the
    /// text after the scheme.
    /// </summary>
    public static string RawPath(string uri, out string authority)
    {
        var scheme = uri.IndexOf("://", StringComparison.Ordinal);
        var rest = scheme < 0 ? uri : uri[(scheme + 3)..];
        var end = rest.IndexOfAny(['?', '#']);
        if (end >= 0)
        {
            rest = rest[..end];
        }

        if (uri.StartsWith("az://", StringComparison.OrdinalIgnoreCase))
        {
            authority = "";
            return rest;
        }

        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        authority = slash < 0 ? rest : rest[..slash];
        return slash < 0 ? "" : rest[slash..];
    }

    /// <summary>
    /// Why a path is refused, or null: a <c>.</c> or <c>..</c> segment (percent-encoded to any depth too),
    /// a backslash (some servers read it as a separator), or a control character.
    /// </summary>
    public static string? TraversalProblem(string rawPath)
    {
        var decoded = FullyUnescape(rawPath);
        if (decoded.Contains('\\', StringComparison.Ordinal))
        {
            return "backslashes are refused in blob paths";
        }

        if (decoded.Any(char.IsControl))
        {
            return "control characters are refused in blob paths";
        }

        foreach (var segment in decoded.Split('/'))
        {
            if (segment is "." or "..")
            {
                return "'.' and '..' path segments are refused (percent-encoded ones too)";
            }
        }

        return null;
    }

    /// <summary>Percent-decodes until nothing changes (a few rounds at most), so that <c>%252e%252e</c> is seen as <c>..</c>.</summary>
    public static string FullyUnescape(string value)
    {
        for (var round = 0; round < 4; round++)
        {
            var decoded = Uri.UnescapeDataString(value);
            if (decoded == value)
            {
                break;
            }

            value = decoded;
        }

        return value;
    }

    /// <summary>
    /// The path with every symbolic link followed, as realpath(3) gives it; the components that do not exist are
    /// kept as written. <c>..</c> after a link goes up from the link's target, as the kernel does.
    /// </summary>
    public static string ResolveLinks(string path)
    {
        var full = Path.GetFullPath(path);
        var root = Path.GetPathRoot(full) ?? Path.DirectorySeparatorChar.ToString();
        var pending = new List<string>(Split(full[root.Length..]));
        var current = root;
        var hops = 0;
        for (var i = 0; i < pending.Count; i++)
        {
            var part = pending[i];
            if (part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? root;
                continue;
            }

            var next = Path.Combine(current, part);
            var target = new FileInfo(next).LinkTarget;
            if (target is null)
            {
                current = next;
                continue;
            }

            if (++hops > MaxLinkHops)
            {
                throw new IOException($"Too many levels of symbolic links at {next}.");
            }

            // Start again from the link's target, then the components after the link.
            var rest = pending.Skip(i + 1).ToList();
            if (Path.IsPathRooted(target))
            {
                current = Path.GetPathRoot(target) ?? root;
                target = target[current.Length..];
            }

            pending = [.. Split(target), .. rest];
            i = -1;
        }

        return current;
    }

    /// <summary>Whether <paramref name="path"/> is <paramref name="folder"/> or lies under it (both full paths).</summary>
    public static bool IsUnder(string path, string folder)
    {
        var prefix = folder.EndsWith(Path.DirectorySeparatorChar) ? folder : folder + Path.DirectorySeparatorChar;
        return string.Equals(path, folder, StringComparison.Ordinal) || path.StartsWith(prefix, StringComparison.Ordinal);
    }

    private static string[] Split(string path) =>
        path.Split([Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries);

    [GeneratedRegex("^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9]))*$")]
    private static partial Regex ContainerName();
}
