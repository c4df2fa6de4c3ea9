using EpdBatch.Model;
using EpdBatch.Model.Runtime;

namespace EpdBatch.Bench;

/// <summary>Dispatches the command word; errors go to stderr in one line (the stack trace with --verbose).</summary>
internal static class BenchProgram
{
    public const int Ok = 0;
    public const int UsageError = 2;
    public const int Failed = 1;

    public const string Help = """
        EpdBatch.Bench — benchmarks and reference checks for the EpdBatch model runtime

        usage: EpdBatch.Bench <command> [options]

          shapes
              Lists the model shapes make-model writes.

          make-model --shape NAME --out DIR [--dtype f32|bf16] [--seed N] [--config-only]
              Writes a random-weight llava-hf checkpoint: config.json, generation_config.json,
              preprocessor_config.json, a byte-level tokenizer.json (ids 0-259; kept if the folder has
              one) and model.safetensors (2 GiB shards with an index above that).
              Weights: N(0, 0.02), norm scales 1 + N(0, 0.02), fixed by --seed (default 1234).
              --config-only writes the configs alone (bench/peer/hf_peer.py make then adds weights).
              --dtype defaults to f32.

          runtime --model DIR [options]
              --device cpu|cuda[:N]       default cpu
              --dtype f32|bf16|f16        default f32 on CPU, bf16 on CUDA
              --stage all|encoder|language
                                          default all; run encoder and language in separate processes
                                          to measure each worker's peak GPU memory on its own
              --prompt-tokens N           default: an image's tokens + 24
              --prefill-batches LIST      default 1,4 (CPU) / 1,8 (CUDA)
              --decode-batches LIST       default 1,16 (CPU) / 1,8,32,64 (CUDA)
              --encoder-batches LIST      default 1,4,8 (CPU) / 1,8,32 (CUDA)
              --steps N                   decode steps per timed run, default 32
              --repeats N                 timed runs per figure (median reported), default 3
              --threads N                 torch intra-op threads, default: processor count
              --copy-mib N                size of the copy that measures bandwidth, default 256 (CPU) / 2048 (CUDA)
              --encoder-json FILE         an earlier --stage encoder result, for TTFT in a language-only run
              --json FILE                 also write the results as JSON

          check --model DIR --inputs FILE [--device cpu|cuda] [--dtype f32] [--json FILE]
              Greedy tokens for the items hf_peer.py check wrote (inputs.json + pixel safetensors).

        Set EPD_LIBTORCH=<site-packages>/torch/lib to run on a PyTorch install's libtorch (CUDA).
        Exit codes: 0 ok, 1 failed, 2 usage error.
        """;

    public static int Run(string[] argv)
    {
        var verbose = argv.Contains("--verbose");
        try
        {
            var args = BenchArguments.Parse(argv);
            if (args.Command == "help" || args.Has("help"))
            {
                Console.WriteLine(Help);
                return Ok;
            }
            args.Has("verbose");
            if (args.Command is "runtime" or "check")
            {
                RequireLibTorch();
            }
            return args.Command switch
            {
                "shapes" => Shapes(args),
                "make-model" => MakeModelCommand.Run(args),
                "runtime" => RuntimeCommand.Run(args),
                "check" => CheckCommand.Run(args),
                _ => throw new ArgumentException($"unknown command '{args.Command}' (shapes, make-model, runtime, check; see --help)"),
            };
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            if (verbose)
            {
                Console.Error.WriteLine(e);
            }
            return UsageError;
        }
        catch (TypeInitializationException e) when (e.InnerException is NotSupportedException inner)
        {
            // TorchSharp's own message names a package; the usual cause here is a publish without libtorch.
            Console.Error.WriteLine($"error: TorchSharp could not load libtorch ({inner.Message.Split('\n')[0].Trim()})");
            if (verbose)
            {
                Console.Error.WriteLine(e);
            }
            return Failed;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or InvalidOperationException or ModelFormatException
            or ModelInputException or UnauthorizedAccessException or System.Text.Json.JsonException or DllNotFoundException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            if (verbose)
            {
                Console.Error.WriteLine(e);
            }
            return Failed;
        }
    }

    /// <summary>
    /// The GPU publish leaves TorchSharp-cpu's libtorch out (bench/gpu/publish.sh): it must then come from a PyTorch
    /// install. Saying so up front beats TorchSharp's message about a missing package.
    /// </summary>
    private static void RequireLibTorch()
    {
        var bundled = new[] { "", Path.Combine("runtimes", "linux-x64", "native") }
            .Any(d => File.Exists(Path.Combine(AppContext.BaseDirectory, d, "libtorch_cpu.so")));
        if (!bundled && string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(TorchRuntime.LibTorchVariable)) && OperatingSystem.IsLinux())
        {
            throw new InvalidOperationException(
                $"this build carries no libtorch: set {TorchRuntime.LibTorchVariable} to a PyTorch install's torch/lib " +
                "(python3 -c 'import torch,os;print(os.path.join(os.path.dirname(torch.__file__),\"lib\"))')");
        }
    }

    private static int Shapes(BenchArguments args)
    {
        args.RejectUnknown();
        foreach (var name in ModelShapes.Names)
        {
            Console.WriteLine($"{name,-16} {ModelShapes.Get(name, "f32").Description}");
        }
        return Ok;
    }
}
