namespace EpdBatch.Text.Internal;

/// <summary>One entry of <c>added_tokens</c>; the flags keep the meaning they have in Hugging Face tokenizers.</summary>
internal sealed record AddedToken(
    int Id,
    string Content,
    bool Special,
    bool Normalized,
    bool LStrip,
    bool RStrip,
    bool SingleWord);
