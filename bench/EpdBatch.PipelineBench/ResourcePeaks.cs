namespace EpdBatch.PipelineBench;

/// <summary>What <see cref="ResourceSampler"/> saw over one job: RSS per process (MiB) at the start, its sampled peak and the kernel's peak (VmHWM), and the peak Redis key count per kind.</summary>
internal sealed record ResourcePeaks(
    IReadOnlyDictionary<string, double> StartRssMib,
    IReadOnlyDictionary<string, double> PeakRssMib,
    IReadOnlyDictionary<string, double> HwmMib,
    IReadOnlyDictionary<string, long> PeakKeys,
    int Samples);
