using System.Runtime.InteropServices;
using TorchSharp;

namespace EpdBatch.Model.Runtime;

/// <summary>
/// Loads the native torch libraries once per process. By default TorchSharp's bundled CPU libtorch is used; with
/// <c>EPD_LIBTORCH</c> (or <see cref="Initialize"/>'s argument) pointing at a PyTorch install's <c>torch/lib</c>,
/// that libtorch (CUDA included) is loaded first, so a GPU host with PyTorch needs no libtorch package.
/// </summary>
public static class TorchRuntime
{
    public const string LibTorchVariable = "EPD_LIBTORCH";

    private static readonly Lock s_lock = new();
    private static bool s_initialized;

    public static string? LoadedLibTorch { get; private set; }

    public static void Initialize(string? libTorchDirectory = null, int? threads = null)
    {
        lock (s_lock)
        {
            if (s_initialized)
            {
                return;
            }
            libTorchDirectory ??= Environment.GetEnvironmentVariable(LibTorchVariable);
            if (!string.IsNullOrWhiteSpace(libTorchDirectory))
            {
                LoadExternalLibTorch(libTorchDirectory);
            }
            if (threads is > 0)
            {
                torch.set_num_threads(threads.Value);
            }
            s_initialized = true;
        }
    }

    public static bool CudaAvailable
    {
        get
        {
            Initialize();
            return torch.cuda.is_available();
        }
    }

    private static void LoadExternalLibTorch(string directory)
    {
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"{LibTorchVariable}={directory}: no such folder (expected <site-packages>/torch/lib)");
        }
        // Order matters: each library resolves its dependencies against those already loaded.
        string[] libraries = ["libc10.so", "libc10_cuda.so", "libtorch_cpu.so", "libtorch_cuda.so", "libtorch.so"];
        foreach (var name in libraries)
        {
            var path = Path.Combine(directory, name);
            if (File.Exists(path))
            {
                NativeLibrary.Load(path);
            }
            else if (name is "libc10.so" or "libtorch_cpu.so" or "libtorch.so")
            {
                throw new FileNotFoundException($"{LibTorchVariable}: {path} not found");
            }
        }
        var bridge = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        if (!File.Exists(bridge))
        {
            bridge = Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so");
        }
        NativeLibrary.Load(bridge);
        LoadedLibTorch = directory;
    }
}
