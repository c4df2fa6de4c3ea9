using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace EpdBatch.Model.Loading;

/// <summary>
/// The tensors of a llava-hf checkpoint (one file or a sharded index) under canonical names:
/// <c>vision.*</c> (tower, without the <c>vision_model</c> level), <c>projector.*</c>, <c>text.*</c>
/// (the language model's body), <c>lm_head.weight</c> and <c>image_newline</c>. Three published prefix
/// schemes map onto these; tensors LLaVA never uses are dropped here.
/// </summary>
public sealed class Checkpoint
{
    private static readonly (string From, string To)[] s_prefixes =
    [
        // Longest prefixes first: the first match wins.
        ("model.vision_tower.vision_model.", "vision."),
        ("vision_tower.vision_model.", "vision."),
        ("model.vision_tower.", "vision."),
        ("vision_tower.", "vision."),
        ("model.multi_modal_projector.", "projector."),
        ("multi_modal_projector.", "projector."),
        ("model.language_model.model.", "text."),
        ("model.language_model.", "text."),
        ("language_model.model.", "text."),
        ("language_model.lm_head.", "lm_head."),
        ("language_model.", "text."),
        ("lm_head.", "lm_head."),
        ("model.image_newline", "image_newline"),
        ("image_newline", "image_newline"),
    ];

    private readonly Dictionary<string, SafeTensorsEntry> _entries;

    private Checkpoint(string directory, Dictionary<string, SafeTensorsEntry> entries, string fingerprint)
    {
        Directory = directory;
        _entries = entries;
        Fingerprint = fingerprint;
    }

    public string Directory { get; }

    /// <summary>Identifies these weights: a snapshot or multimodal token made from other weights is refused.</summary>
    public string Fingerprint { get; }

    public IReadOnlyCollection<string> Names => _entries.Keys;

    public bool Contains(string canonicalName) => _entries.ContainsKey(canonicalName);

    public SafeTensorsEntry Get(string canonicalName) =>
        _entries.TryGetValue(canonicalName, out var entry)
            ? entry
            : throw new ModelFormatException($"{Directory}: tensor '{canonicalName}' is missing from the checkpoint");

    public static Checkpoint Open(string directory)
    {
        var single = Path.Combine(directory, "model.safetensors");
        var index = Path.Combine(directory, "model.safetensors.index.json");
        IEnumerable<string> files;
        if (File.Exists(single))
        {
            files = [single];
        }
        else if (File.Exists(index))
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(index));
            files = document.RootElement.GetProperty("weight_map").EnumerateObject()
                .Select(p => Path.Combine(directory, p.Value.GetString() ?? ""))
                .Distinct(StringComparer.Ordinal)
                .Order(StringComparer.Ordinal)
                .ToArray();
        }
        else
        {
            throw new ModelFormatException($"{directory}: no model.safetensors or model.safetensors.index.json");
        }

        var entries = new Dictionary<string, SafeTensorsEntry>(StringComparer.Ordinal);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var configPath = Path.Combine(directory, "config.json");
        if (File.Exists(configPath))
        {
            hash.AppendData(File.ReadAllBytes(configPath));
        }
        foreach (var file in files)
        {
            if (!File.Exists(file))
            {
                throw new ModelFormatException($"{index}: shard {Path.GetFileName(file)} is missing");
            }
            foreach (var entry in SafeTensorsFile.ReadHeader(file))
            {
                hash.AppendData(Encoding.UTF8.GetBytes($"{entry.Name}|{entry.DType}|{string.Join(",", entry.Shape)}|{entry.Length};"));
                var canonical = Canonicalize(entry.Name);
                if (canonical is null)
                {
                    continue;
                }
                if (!entries.TryAdd(canonical, entry with { Name = canonical }))
                {
                    throw new ModelFormatException($"{directory}: tensor '{canonical}' appears twice (as '{entries[canonical].Name}' and '{entry.Name}')");
                }
            }
            // A sample of the weights themselves tells apart two random-weight checkpoints of one shape.
            AppendSample(hash, file);
        }
        return new Checkpoint(directory, entries, Convert.ToHexStringLower(hash.GetHashAndReset())[..16]);
    }

    /// <summary>Maps a checkpoint name to its canonical name, or null for tensors LLaVA never uses.</summary>
    public static string? Canonicalize(string name)
    {
        if (name.EndsWith(".position_ids", StringComparison.Ordinal)
            || name.EndsWith(".rotary_emb.inv_freq", StringComparison.Ordinal))
        {
            return null;
        }
        foreach (var (from, to) in s_prefixes)
        {
            if (name.StartsWith(from, StringComparison.Ordinal))
            {
                var canonical = to + name[from.Length..];
                // SigLIP's attention-pooling head and the unused post-layernorm never feed the projector.
                return canonical.StartsWith("vision.head.", StringComparison.Ordinal) ? null : canonical;
            }
        }
        return null;
    }

    private static void AppendSample(IncrementalHash hash, string file)
    {
        using var stream = File.OpenRead(file);
        var sample = new byte[Math.Min(64 * 1024, stream.Length)];
        stream.Seek(Math.Max(0, stream.Length - sample.Length), SeekOrigin.Begin);
        stream.ReadExactly(sample);
        hash.AppendData(sample);
    }
}
