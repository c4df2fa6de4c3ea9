using System.Runtime.InteropServices;
using System.Text;

namespace EpdBatch.Bench;

/// <summary>
/// Peak GPU memory in use, sampled through NVML (the driver's library, present wherever nvidia-smi is) every few
/// milliseconds on a background thread. TorchSharp 0.107 exposes no CUDA allocator statistics
/// (no max_memory_allocated), so this reads what the device reports: the caching allocator's reserved memory plus
/// the CUDA context, minus what was in use before the run started. Run one stage per process to separate them.
/// </summary>
internal sealed partial class GpuMemoryMonitor : IDisposable
{
    private const string Nvml = "libnvidia-ml.so.1";
    private readonly IntPtr _device;
    private readonly Thread? _thread;
    private volatile bool _stop;
    private long _peak;

    private GpuMemoryMonitor(IntPtr device, ulong baseline, string name)
    {
        _device = device;
        Baseline = (long)baseline;
        _peak = (long)baseline;
        DeviceName = name;
        _thread = new Thread(Sample) { IsBackground = true, Name = "gpu-memory" };
        _thread.Start();
    }

    /// <summary>Device memory in use when monitoring started (other processes, the driver).</summary>
    public long Baseline { get; }

    public string DeviceName { get; }

    /// <summary>Peak in-use bytes above the baseline so far.</summary>
    public long PeakAboveBaseline => Interlocked.Read(ref _peak) - Baseline;

    /// <summary>In-use bytes above the baseline now.</summary>
    public long CurrentAboveBaseline => (long)Used() - Baseline;

    /// <summary>Starts monitoring GPU <paramref name="index"/>, or returns null (with the reason) where NVML is missing.</summary>
    public static GpuMemoryMonitor? TryStart(int index, out string? problem)
    {
        try
        {
            Check(NvmlInit(), "nvmlInit_v2");
            Check(NvmlDeviceGetHandleByIndex((uint)index, out var device), "nvmlDeviceGetHandleByIndex_v2");
            var name = new byte[96];
            Check(NvmlDeviceGetName(device, name, (uint)name.Length), "nvmlDeviceGetName");
            Check(NvmlDeviceGetMemoryInfo(device, out var memory), "nvmlDeviceGetMemoryInfo");
            problem = null;
            return new GpuMemoryMonitor(device, memory.Used, Encoding.ASCII.GetString(name).TrimEnd('\0'));
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or InvalidOperationException)
        {
            problem = e.Message;
            return null;
        }
    }

    private ulong Used() => NvmlDeviceGetMemoryInfo(_device, out var memory) == 0 ? memory.Used : 0;

    private void Sample()
    {
        while (!_stop)
        {
            var used = (long)Used();
            if (used > Interlocked.Read(ref _peak))
            {
                Interlocked.Exchange(ref _peak, used);
            }
            Thread.Sleep(5);
        }
    }

    public void Dispose()
    {
        _stop = true;
        _thread?.Join();
        _ = NvmlShutdown();
    }

    private static void Check(int status, string call)
    {
        if (status != 0)
        {
            throw new InvalidOperationException($"NVML {call} returned {status}");
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct NvmlMemory
    {
        public ulong Total;
        public ulong Free;
        public ulong Used;
    }

    [LibraryImport(Nvml, EntryPoint = "nvmlInit_v2")]
    private static partial int NvmlInit();

    [LibraryImport(Nvml, EntryPoint = "nvmlShutdown")]
    private static partial int NvmlShutdown();

    [LibraryImport(Nvml, EntryPoint = "nvmlDeviceGetHandleByIndex_v2")]
    private static partial int NvmlDeviceGetHandleByIndex(uint index, out IntPtr device);

    [LibraryImport(Nvml, EntryPoint = "nvmlDeviceGetName")]
    private static partial int NvmlDeviceGetName(IntPtr device, [Out] byte[] name, uint length);

    [LibraryImport(Nvml, EntryPoint = "nvmlDeviceGetMemoryInfo")]
    private static partial int NvmlDeviceGetMemoryInfo(IntPtr device, out NvmlMemory memory);
}
