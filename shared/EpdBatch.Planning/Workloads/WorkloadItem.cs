namespace EpdBatch.Planning.Workloads;

/// <summary>One item as the simulator sees it: its media, its prompt and output lengths, and when it arrives.</summary>
/// <param name="Images">Images in the item.</param>
/// <param name="ImageSize">Longest side of its images in pixels; 0 means the vision tower's resolution.</param>
/// <param name="VideoFrames">Sampled frames of its video; 0 for none.</param>
/// <param name="TextTokens">Prompt tokens besides the multimodal ones (instruction, chat template).</param>
/// <param name="OutputTokens">Tokens it generates (its max_tokens: the planner assumes no early stop).</param>
/// <param name="ArrivalSeconds">When it enters the encode queue; 0 for an offline job.</param>
public sealed record WorkloadItem(int Images, int ImageSize, int VideoFrames, int TextTokens, int OutputTokens, double ArrivalSeconds = 0);
