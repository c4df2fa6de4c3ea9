namespace EpdBatch.Model.Stages;

/// <summary>Why a sequence ended, in the words of the OpenAI API ("stop", "length").</summary>
public static class FinishReason
{
    public const string Stop = "stop";
    public const string Length = "length";

    /// <summary>Whether a sequence that has just produced <paramref name="token"/> as its <paramref name="generated"/>-th token is done.</summary>
    public static string? After(int token, int generated, Sampling.SamplingParams sampling)
    {
        if (sampling.StopTokenIds.Contains(token))
        {
            return Stop;
        }
        return generated >= sampling.MaxNewTokens ? Length : null;
    }
}
