using System.CommandLine;

namespace EpdBatch.Cli.Commands;

/// <summary>Options several verbs share, so they are spelled and described the same everywhere.</summary>
internal static class CommonOptions
{
    public static Option<bool> Verbose() => new("--verbose", "-v") { Description = "Print stack traces and debug detail on errors" };

    public static Option<string?> Device() => new("--device")
    {
        Description = "cpu, cuda or cuda:N (default: cpu)",
    };

    public static Option<string?> DType() => new("--dtype")
    {
        Description = "float32, bfloat16 or float16 (default: float32 on CPU, bfloat16 on CUDA)",
    };

    public static Option<string?> LibTorch() => new("--libtorch")
    {
        Description = "Folder of a PyTorch install's libtorch (<site-packages>/torch/lib) to load instead of the bundled CPU one; also EPD_LIBTORCH",
    };

    public static Option<string?> Model(bool required) => new("--model", "-m")
    {
        Description = "llava-hf model folder (config.json, model.safetensors[.index.json], tokenizer.json, preprocessor_config.json); also EPD_MODEL",
        Required = required,
    };

    public static Option<string?> MediaRoot() => new("--media-root")
    {
        Description = "Folder that local media paths in the manifest must lie under, symbolic links followed (default: the manifest's folder); others fail their line",
    };

    public static int[] ParseIds(string text, string option)
    {
        try
        {
            return text.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToArray();
        }
        catch (FormatException)
        {
            throw new FormatException($"{option} takes comma-separated integer ids, e.g. \"1,10,999,12\" (got \"{text}\")");
        }
    }
}
