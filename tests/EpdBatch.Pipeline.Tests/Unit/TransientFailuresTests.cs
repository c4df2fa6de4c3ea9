using Azure;
using EpdBatch.Pipeline.Storage;
using Polly.Timeout;
using StackExchange.Redis;

namespace EpdBatch.Pipeline.Tests.Unit;

public class TransientFailuresTests
{
    [Test]
    public void Server_trouble_is_transient()
    {
        Assert.That(TransientFailures.IsTransient(new RedisTimeoutException(CommandFlags.None, "slow", CommandStatus.Sent)), Is.True);
        Assert.That(TransientFailures.IsTransient(new TimeoutRejectedException()), Is.True);
        Assert.That(TransientFailures.IsTransient(new RequestFailedException(503, "busy")), Is.True);
        Assert.That(TransientFailures.IsTransient(new RequestFailedException(0, "no answer")), Is.True);
        Assert.That(TransientFailures.IsTransient(new MassTransit.RabbitMqConnectionException("broker away")), Is.True);
        Assert.That(TransientFailures.IsTransient(new InvalidOperationException("wrapped", new IOException("reset"))), Is.True);
    }

    [Test]
    public void Everything_else_is_not()
    {
        Assert.That(TransientFailures.IsTransient(new BlobNotFoundException("az://c/x")), Is.False);
        Assert.That(TransientFailures.IsTransient(new PermanentItemException("encoder", "bad_media", "no", new IOException())), Is.False);
        Assert.That(TransientFailures.IsTransient(new RequestFailedException(403, "forbidden")), Is.False);
        Assert.That(TransientFailures.IsTransient(new InvalidDataException("corrupt")), Is.False);
        Assert.That(TransientFailures.IsTransient(new FileNotFoundException("gone")), Is.False);
        Assert.That(TransientFailures.IsTransient(new EndOfStreamException("truncated media")), Is.False);
        Assert.That(TransientFailures.IsTransient(new AggregateException(new IOException(), new FormatException())), Is.False);
    }
}
