namespace EpdBatch.Model.Config;

public enum TextArchitecture
{
    Llama,
    Mistral,
    Qwen2,
}
