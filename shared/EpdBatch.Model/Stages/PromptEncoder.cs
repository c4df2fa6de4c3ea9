using EpdBatch.Model.Config;
using EpdBatch.Text;

namespace EpdBatch.Model.Stages;

/// <summary>
/// Turns a user's prompt into prompt ids with ONE placeholder id per media item: the model's chat template around
/// the text, the tokenizer for the words, and the config's image/video token ids for the placeholders.
/// </summary>
public sealed class PromptEncoder
{
    private readonly LlavaConfig _config;
    private readonly Tokenizer _tokenizer;
    private readonly PromptTemplateKind _template;

    public PromptEncoder(LlavaConfig config, Tokenizer tokenizer, PromptTemplateKind? template = null)
    {
        _config = config;
        _tokenizer = tokenizer;
        _template = template ?? PromptTemplate.Detect(config.Text.Architecture == TextArchitecture.Qwen2 ? "qwen2" : null, tokenizer);
    }

    public PromptTemplateKind Template => _template;

    /// <summary>Placeholders go before the text, images first, as the llava-hf chat templates put them.</summary>
    public int[] Encode(string prompt, int images, int videos)
    {
        if (videos > 0 && _config.VideoTokenId is null)
        {
            throw new ModelInputException("unsupported_media_type", "this model takes no video (its config has no video_token_index)");
        }
        var text = PromptTemplate.Render(_template, prompt, images, videos);
        var imageId = _tokenizer.TokenToId(PromptTemplate.ImagePlaceholder);
        var videoId = _tokenizer.TokenToId(PromptTemplate.VideoPlaceholder);
        if ((images == 0 || imageId is not null) && (videos == 0 || videoId is not null))
        {
            // The tokenizer knows the placeholders as added tokens: encode the whole text, as the HF processor does,
            // and map the tokenizer's ids onto the config's (they differ when a tokenizer is paired with a checkpoint).
            return _tokenizer.Encode(text, addSpecialTokens: true)
                .Select(id => id == imageId ? _config.ImageTokenId : id == videoId ? _config.VideoTokenId!.Value : id)
                .ToArray();
        }
        // Otherwise split on the placeholders and encode the text between them.
        var ids = new List<int>(_tokenizer.Encode(string.Empty, addSpecialTokens: true));
        var rest = text.AsSpan();
        while (!rest.IsEmpty)
        {
            var image = rest.IndexOf(PromptTemplate.ImagePlaceholder, StringComparison.Ordinal);
            var video = rest.IndexOf(PromptTemplate.VideoPlaceholder, StringComparison.Ordinal);
            var next = image < 0 ? video : video < 0 ? image : Math.Min(image, video);
            if (next < 0)
            {
                ids.AddRange(_tokenizer.Encode(rest.ToString()));
                break;
            }
            if (next > 0)
            {
                ids.AddRange(_tokenizer.Encode(rest[..next].ToString()));
            }
            var isImage = next == image;
            ids.Add(isImage ? _config.ImageTokenId : _config.VideoTokenId!.Value);
            rest = rest[(next + (isImage ? PromptTemplate.ImagePlaceholder.Length : PromptTemplate.VideoPlaceholder.Length))..];
        }
        return [.. ids];
    }
}
