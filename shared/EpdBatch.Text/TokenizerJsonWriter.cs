using System.Text.Encodings.Web;
using System.Text.Json;
using EpdBatch.Text.Internal;

namespace EpdBatch.Text;

/// <summary>
/// Writes a minimal byte-level BPE <c>tokenizer.json</c> for demo and test models. Ids are fixed so a model can be
/// sized without reading the file back: id <c>b</c> (0..255) is the byte <c>b</c>, and special token <c>i</c> of
/// the list has id <c>256 + i</c>. There are no merges, so text encodes to one id per UTF-8 byte. When the list
/// holds <c>&lt;s&gt;</c>, encoding with special tokens prepends it (Llama style).
/// </summary>
public static class TokenizerJsonWriter
{
    /// <summary>Ids below this are the 256 byte tokens.</summary>
    public const int ByteTokenCount = 256;

    private const string Bos = "<s>";

    /// <summary>Vocabulary size of a file written with <paramref name="specialCount"/> special tokens.</summary>
    public static int ByteLevelVocabSize(int specialCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(specialCount);
        return ByteTokenCount + specialCount;
    }

    public static void WriteByteLevel(string path, IReadOnlyList<string> specialTokens)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(specialTokens);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var token in specialTokens)
        {
            if (string.IsNullOrEmpty(token) || !seen.Add(token))
            {
                throw new ArgumentException($"Special tokens must be non-empty and distinct; '{token}' is not.", nameof(specialTokens));
            }
        }

        using var stream = File.Create(path);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions
        {
            Indented = true,

            // Keeps the file readable: byte tokens and "<s>" appear as themselves rather than as \u escapes.
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        });

        json.WriteStartObject();
        json.WriteString("version", "1.0");
        json.WriteNull("truncation");
        json.WriteNull("padding");

        json.WriteStartArray("added_tokens");
        for (var i = 0; i < specialTokens.Count; i++)
        {
            json.WriteStartObject();
            json.WriteNumber("id", ByteTokenCount + i);
            json.WriteString("content", specialTokens[i]);
            json.WriteBoolean("single_word", false);
            json.WriteBoolean("lstrip", false);
            json.WriteBoolean("rstrip", false);
            json.WriteBoolean("normalized", false);
            json.WriteBoolean("special", true);
            json.WriteEndObject();
        }

        json.WriteEndArray();

        json.WriteNull("normalizer");
        WriteByteLevelComponent(json, "pre_tokenizer");

        var bosIndex = IndexOf(specialTokens, Bos);
        if (bosIndex >= 0)
        {
            WriteBosTemplate(json, ByteTokenCount + bosIndex);
        }
        else
        {
            WriteByteLevelComponent(json, "post_processor");
        }

        WriteByteLevelComponent(json, "decoder");

        json.WriteStartObject("model");
        json.WriteString("type", "BPE");
        json.WriteNull("dropout");
        json.WriteNull("unk_token");
        json.WriteNull("continuing_subword_prefix");
        json.WriteNull("end_of_word_suffix");
        json.WriteBoolean("fuse_unk", false);
        json.WriteBoolean("byte_fallback", false);
        json.WriteBoolean("ignore_merges", false);
        json.WriteStartObject("vocab");
        for (var b = 0; b < ByteTokenCount; b++)
        {
            json.WriteNumber(ByteLevelAlphabet.ToChar((byte)b).ToString(), b);
        }

        json.WriteEndObject();
        json.WriteStartArray("merges");
        json.WriteEndArray();
        json.WriteEndObject();

        json.WriteEndObject();
    }

    private static int IndexOf(IReadOnlyList<string> tokens, string value)
    {
        for (var i = 0; i < tokens.Count; i++)
        {
            if (tokens[i] == value)
            {
                return i;
            }
        }

        return -1;
    }

    private static void WriteByteLevelComponent(Utf8JsonWriter json, string name)
    {
        json.WriteStartObject(name);
        json.WriteString("type", "ByteLevel");
        json.WriteBoolean("add_prefix_space", false);
        json.WriteBoolean("trim_offsets", true);
        json.WriteBoolean("use_regex", true);
        json.WriteEndObject();
    }

    private static void WriteBosTemplate(Utf8JsonWriter json, int bosId)
    {
        json.WriteStartObject("post_processor");
        json.WriteString("type", "TemplateProcessing");
        json.WriteStartArray("single");
        WriteSpecialPiece(json, 0);
        WriteSequencePiece(json, "A", 0);
        json.WriteEndArray();
        json.WriteStartArray("pair");
        WriteSpecialPiece(json, 0);
        WriteSequencePiece(json, "A", 0);
        WriteSpecialPiece(json, 1);
        WriteSequencePiece(json, "B", 1);
        json.WriteEndArray();
        json.WriteStartObject("special_tokens");
        json.WriteStartObject(Bos);
        json.WriteString("id", Bos);
        json.WriteStartArray("ids");
        json.WriteNumberValue(bosId);
        json.WriteEndArray();
        json.WriteStartArray("tokens");
        json.WriteStringValue(Bos);
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteSpecialPiece(Utf8JsonWriter json, int typeId)
    {
        json.WriteStartObject();
        json.WriteStartObject("SpecialToken");
        json.WriteString("id", Bos);
        json.WriteNumber("type_id", typeId);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteSequencePiece(Utf8JsonWriter json, string id, int typeId)
    {
        json.WriteStartObject();
        json.WriteStartObject("Sequence");
        json.WriteString("id", id);
        json.WriteNumber("type_id", typeId);
        json.WriteEndObject();
        json.WriteEndObject();
    }
}
