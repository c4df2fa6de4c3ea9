namespace EpdBatch.Text.Internal;

/// <summary>
/// A piece of the input on its way through the pipeline. <see cref="AddedTokenId"/> is set when the piece is an
/// added token (it then skips normalization, pre-tokenization and BPE). <see cref="AtStart"/> tells whether the piece
/// begins at offset 0 of the original text, which Metaspace's "first" prepend scheme depends on.
/// </summary>
internal readonly record struct TextSegment(string Text, bool AtStart, int? AddedTokenId = null);
