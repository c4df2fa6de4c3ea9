namespace EpdBatch.Ingest.Manifest;

/// <summary>The two line formats a manifest may use; one file uses one, detected from its first valid line.</summary>
public enum ManifestFormat
{
    /// <summary>No line has decided it yet (an empty manifest, or only invalid lines).</summary>
    Unknown,

    /// <summary><c>{"custom_id", "prompt", "images", "video", "max_tokens", "temperature", "top_p", "seed", "metadata"}</c>.</summary>
    Native,

    /// <summary>OpenAI Batch API request lines: <c>{"custom_id", "method": "POST", "url": "/v1/chat/completions", "body": {...}}</c>.</summary>
    OpenAiBatch,
}
