namespace EpdBatch.Pipeline.Messaging;

/// <summary>
/// The queues of the stage commands (<c>EncodeItem</c>, <c>PrefillItem</c>, <c>DecodeItem</c>): each stage's
/// ConsumerDefinition names its endpoint with one, and whoever hands an item to a stage sends it to that stage's
/// <see cref="AddressOf">address</see>. Commands are sent, not published: on RabbitMQ a publish goes to the message
/// type's exchange, which drops it where no worker of the consuming stage ever started (nothing is bound to it
/// yet), whereas a send declares the queue and binds it first, so the item waits in the queue whatever the order
/// the processes start in. The declaration is the one the receive endpoint makes (durable, no arguments).
/// </summary>
public static class PipelineQueues
{
    public const string Encode = "encode-item";
    public const string Prefill = "prefill-item";
    public const string Decode = "decode-item";

    private static readonly Uri s_encode = AddressOf(Encode);
    private static readonly Uri s_prefill = AddressOf(Prefill);
    private static readonly Uri s_decode = AddressOf(Decode);

    /// <summary>The encoders' queue: the ingest's encode commands, and the items a later stage sends back.</summary>
    public static Uri EncodeAddress => s_encode;

    public static Uri PrefillAddress => s_prefill;

    public static Uri DecodeAddress => s_decode;

    /// <summary>MassTransit's short address of a queue (<c>queue:&lt;name&gt;</c>), valid on RabbitMQ and in memory.</summary>
    public static Uri AddressOf(string queue)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(queue);
        return new Uri("queue:" + queue);
    }
}
