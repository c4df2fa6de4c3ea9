using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using EpdBatch.Ingest.Jobs;
using EpdBatch.Pipeline;

namespace EpdBatch.Ingest.Coordination;

/// <summary>
/// The lines of <c>results.jsonl</c> (the OpenAI Batch output shape, plus <c>token_ids</c> in each choice) and of
/// <c>errors.jsonl</c>. Rendered from the recorded outcome alone, so the same outcome always gives the same bytes:
/// a part file written twice across a restart, and the final merge, agree.
/// </summary>
internal static class OutputLines
{
    private static readonly JsonWriterOptions s_writer = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void WriteResult(IBufferWriter<byte> output, string jobId, string? model, ItemOutcome outcome)
    {
        var result = outcome.Result ?? throw new ArgumentException("Not a completed item.", nameof(outcome));
        using var json = new Utf8JsonWriter(output, s_writer);
        var requestId = $"{jobId}-{outcome.Index}";
        json.WriteStartObject();
        json.WriteString("id", "batch_req_" + ShortHash(requestId));
        json.WriteString("custom_id", outcome.CustomId);
        json.WriteStartObject("response");
        json.WriteNumber("status_code", 200);
        json.WriteString("request_id", requestId);
        json.WriteStartObject("body");
        json.WriteString("id", "chatcmpl-" + ShortHash(requestId + ":completion"));
        json.WriteString("object", "chat.completion");
        json.WriteNumber("created", outcome.RecordedAt.ToUnixTimeSeconds());
        json.WriteString("model", model ?? "");
        json.WriteStartArray("choices");
        json.WriteStartObject();
        json.WriteNumber("index", 0);
        json.WriteStartObject("message");
        json.WriteString("role", "assistant");
        json.WriteString("content", result.Text);
        json.WriteEndObject();
        json.WriteString("finish_reason", result.FinishReason);
        json.WriteStartArray("token_ids");
        foreach (var token in result.Tokens)
        {
            json.WriteNumberValue(token);
        }

        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteStartObject("usage");
        json.WriteNumber("prompt_tokens", result.PromptTokens);
        json.WriteNumber("completion_tokens", result.Tokens.Count);
        json.WriteNumber("total_tokens", result.PromptTokens + result.Tokens.Count);
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteNull("error");
        json.WriteEndObject();
        json.Flush();
        output.Write("\n"u8);
    }

    public static void WriteError(IBufferWriter<byte> output, ItemOutcome outcome)
    {
        var error = outcome.Error ?? throw new ArgumentException("Not a failed item.", nameof(outcome));
        using var json = new Utf8JsonWriter(output, s_writer);
        json.WriteStartObject();
        json.WriteString("custom_id", outcome.CustomId);
        json.WriteNumber("line", outcome.Line);
        json.WriteString("stage", error.Stage);
        json.WriteStartObject("error");
        json.WriteString("code", error.Code);
        // The stages redact what they report; this is the last line, for a message from anywhere else.
        json.WriteString("message", SecretRedactor.Redact(error.Message));
        json.WriteEndObject();
        json.WriteEndObject();
        json.Flush();
        output.Write("\n"u8);
    }

    private static string ShortHash(string value) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)).AsSpan(0, 12));
}
