using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using EpdBatch.Imaging;
using EpdBatch.Model.Runtime;
using EpdBatch.Model.Sampling;
using EpdBatch.Model.Stages;

namespace EpdBatch.Cli.Commands;

/// <summary><c>epd infer</c>: run one item through all three stages in this process and print the tokens.</summary>
internal static class InferCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model(required: false);
        var images = new Option<string[]>("--image") { Description = "Image file (JPEG, PNG, WebP, GIF); repeat for several", AllowMultipleArgumentsPerToken = false };
        var video = new Option<string?>("--video") { Description = "Video file (mp4, webm, mov, mkv), sampled with ffmpeg" };
        var videoFrames = new Option<string?>("--video-frames") { Description = "A video given as already sampled frames, in order: f0.png,f1.png,..." };
        var frames = new Option<int?>("--frames") { Description = "Frames to sample from --video (default: the model's, capped)" };
        var prompt = new Option<string?>("--prompt", "-p") { Description = "The question or instruction; the model's chat template and tokenizer apply" };
        var promptIds = new Option<string?>("--prompt-ids") { Description = "Raw prompt ids, with ONE image (video) token id per --image (--video), e.g. \"1,10,999,12\"" };
        var maxNewTokens = new Option<int>("--max-new-tokens") { Description = "Tokens to generate at most", DefaultValueFactory = _ => 32 };
        var greedy = new Option<bool>("--greedy") { Description = "Greedy decoding (the default unless --temperature is given)" };
        var temperature = new Option<float?>("--temperature") { Description = "Sampling temperature (> 0 samples)" };
        var topP = new Option<float?>("--top-p") { Description = "Nucleus sampling mass (0, 1]" };
        var topK = new Option<int?>("--top-k") { Description = "Sample among the k most likely tokens" };
        var seed = new Option<ulong?>("--seed") { Description = "Seed for sampling: same seed, same output" };
        var noStop = new Option<bool>("--ignore-eos") { Description = "Do not stop at the model's end-of-sequence ids" };
        var dump = new Option<string?>("--dump-tensors") { Description = "Write {\"image_features\"|\"video_features\": [...], \"last_logits\": [...]} (flattened; first media item, last prompt position) to this JSON file" };
        var device = CommonOptions.Device();
        var dtype = CommonOptions.DType();
        var libtorch = CommonOptions.LibTorch();
        var verbose = CommonOptions.Verbose();

        var command = new Command("infer", "Run one image/video + prompt through encode, prefill and decode in this process and print the generated tokens as JSON")
        {
            model, images, video, videoFrames, frames, prompt, promptIds, maxNewTokens, greedy, temperature, topP, topK, seed, noStop, dump, device, dtype, libtorch, verbose,
        };
        command.SetAction(parse =>
        {
            try
            {
                var request = new InferRequest
                {
                    ModelDirectory = parse.GetValue(model) ?? Environment.GetEnvironmentVariable("EPD_MODEL")
                        ?? throw new ArgumentException("--model is required (or set EPD_MODEL)"),
                    Images = parse.GetValue(images) ?? [],
                    Video = parse.GetValue(video),
                    VideoFrames = parse.GetValue(videoFrames)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                    Frames = parse.GetValue(frames),
                    Prompt = parse.GetValue(prompt),
                    PromptIds = parse.GetValue(promptIds) is { } ids ? CommonOptions.ParseIds(ids, "--prompt-ids") : null,
                    Sampling = new SamplingParams
                    {
                        MaxNewTokens = parse.GetValue(maxNewTokens),
                        Temperature = parse.GetValue(greedy) ? 0 : parse.GetValue(temperature) ?? 0,
                        TopP = parse.GetValue(topP) ?? 1f,
                        TopK = parse.GetValue(topK) ?? 0,
                        Seed = parse.GetValue(seed) ?? 0,
                    },
                    IgnoreEos = parse.GetValue(noStop),
                    DumpTensors = parse.GetValue(dump),
                    Runtime = new RuntimeOptions { Device = parse.GetValue(device) ?? "cpu", DType = parse.GetValue(dtype) },
                    LibTorch = parse.GetValue(libtorch),
                };
                var output = InferRunner.Run(request);
                Console.Out.WriteLine(output.ToJsonString());
                return ExitCodes.Ok;
            }
            catch (Exception e)
            {
                return CliErrors.Report(e, parse.GetValue(verbose));
            }
        });
        return command;
    }
}
