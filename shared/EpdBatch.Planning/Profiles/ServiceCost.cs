using System.Text.Json.Serialization;

namespace EpdBatch.Planning.Profiles;

/// <summary>
/// The CPU that the services spend on each item outside the model's forwards, in seconds of one core: the
/// encoder's download, image decode, hashing and token-store writes, the prefill's token reads and KV writes, the
/// decoder's KV reads and result publishing (<see cref="EncoderSeconds"/>, <see cref="PrefillSeconds"/>,
/// <see cref="DecoderSeconds"/>), and everything else the job runs on the machine: the ingest, the broker, the
/// stores and the client (<see cref="OtherSeconds"/>). It matters only on a <see cref="DeviceSharing">shared
/// device</see>, where that work takes the cores the forwards run on; the simulator runs it there as one-thread
/// work beside the forwards. A profiler cannot see it (it runs the model alone): it is measured on the running
/// pipeline (<c>PipelineBench --validate-planner</c>'s calibration pass writes it into the profile it validates).
/// </summary>
public sealed record ServiceCost(double EncoderSeconds, double PrefillSeconds, double DecoderSeconds, double OtherSeconds)
{
    /// <summary>Seconds of one core per item in all.</summary>
    [JsonIgnore]
    public double TotalSeconds => EncoderSeconds + PrefillSeconds + DecoderSeconds + OtherSeconds;

    /// <summary>The calibration pass's note: what it was measured on.</summary>
    public string? Source { get; init; }

    public void Validate()
    {
        double[] all = [EncoderSeconds, PrefillSeconds, DecoderSeconds, OtherSeconds];
        if (all.Any(s => s < 0 || double.IsNaN(s) || double.IsInfinity(s)))
        {
            throw new InvalidDataException("profile: serviceCost's seconds per item must be finite and not negative");
        }
    }
}
