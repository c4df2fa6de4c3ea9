namespace EpdBatch.PipelineBench;

/// <summary>
/// Where one timed job's CPU went, in seconds: each stage's processes (encoder, prefill, decoder, ingest), the
/// loopback servers (RabbitMQ, Redis, Azurite), the <c>epd run</c> client that submitted the job and waited for
/// it, and the whole machine (every process, ours and others').
/// </summary>
internal sealed record RunCpu(double Encoder, double Prefill, double Decoder, double Ingest, double Servers, double Client, double Machine)
{
    /// <summary>The machine's CPU that none of the measured processes used (the bench itself, the kernel, anything else).</summary>
    public double Unattributed => Math.Max(0, Machine - Encoder - Prefill - Decoder - Ingest - Servers - Client);

    public string PerItem(int items) =>
        $"CPU s/item: encoder {Encoder / items:F3}, prefill {Prefill / items:F3}, decoder {Decoder / items:F3}, ingest {Ingest / items:F3}, "
        + $"servers {Servers / items:F3}, client {Client / items:F3}, rest {Unattributed / items:F3}; machine {Machine / items:F3}";
}
