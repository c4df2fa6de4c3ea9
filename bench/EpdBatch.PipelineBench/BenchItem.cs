namespace EpdBatch.PipelineBench;

/// <summary>One manifest line of the benchmark: its image is both a local file (direct run) and a blob (four-process run).</summary>
internal sealed record BenchItem(int Index, string CustomId, string Prompt, string LocalPath, string BlobUri, int MaxTokens);
