namespace EpdBatch.Contracts;

/// <summary>How the decoder picks tokens for one item. Temperature 0 means greedy decoding.</summary>
/// <param name="MaxTokens">The most tokens to generate (the prompt not counted).</param>
/// <param name="Temperature">Softmax temperature; 0 picks the most likely token.</param>
/// <param name="TopP">Nucleus sampling mass; 1 turns it off.</param>
/// <param name="TopK">Keep only the K most likely tokens; 0 turns it off.</param>
/// <param name="Seed">Seed for sampling, so that a redelivered item samples the same tokens.</param>
public sealed record SamplingSettings(int MaxTokens, float Temperature = 0, float TopP = 1, int TopK = 0, ulong? Seed = null);
