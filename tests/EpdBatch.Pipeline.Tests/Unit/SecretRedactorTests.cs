namespace EpdBatch.Pipeline.Tests.Unit;

public class SecretRedactorTests
{
    [TestCase("amqp://epd:s3cr3t@rabbitmq:5672/", "amqp://epd:***@rabbitmq:5672/")]
    [TestCase("amqps://user:p%40ss@broker.example.com/vhost", "amqps://user:***@broker.example.com/vhost")]
    [TestCase("redis://:hunter2@redis:6379", "redis://:***@redis:6379")]
    [TestCase("redis:6379,password=hunter2,ssl=false", "redis:6379,password=***,ssl=false")]
    [TestCase("redis:6379,ssl=true,Password=hunter2", "redis:6379,ssl=true,Password=***")]
    [TestCase(
        "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=abc+/def==;EndpointSuffix=core.windows.net",
        "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=***;EndpointSuffix=core.windows.net")]
    [TestCase(
        "BlobEndpoint=https://acct.blob.core.windows.net/;SharedAccessSignature=sv=2022-11-02&ss=b&sig=abc%2Bdef%3D",
        "BlobEndpoint=https://acct.blob.core.windows.net/;SharedAccessSignature=***")]
    [TestCase(
        "https://acct.blob.core.windows.net/media/cat.jpg?sv=2022-11-02&se=2030-01-01&sig=abc%2Bdef%3D&sp=r",
        "https://acct.blob.core.windows.net/media/cat.jpg?sv=2022-11-02&se=2030-01-01&sig=***&sp=r")]
    [TestCase("Server=db;User Id=sa;Pwd=Passw0rd;", "Server=db;User Id=sa;Pwd=***;")]
    [TestCase("UseDevelopmentStorage=true", "UseDevelopmentStorage=true")]
    [TestCase("http://127.0.0.1:10000/devstoreaccount1/media/a.jpg", "http://127.0.0.1:10000/devstoreaccount1/media/a.jpg")]
    [TestCase("127.0.0.1:6379", "127.0.0.1:6379")]
    [TestCase("", "")]
    public void Redact_removes_secrets_and_keeps_the_rest(string input, string expected) =>
        Assert.That(SecretRedactor.Redact(input), Is.EqualTo(expected));

    [Test]
    public void Redact_handles_null() => Assert.That(SecretRedactor.Redact(null), Is.Empty);

    [Test]
    public void Connection_options_summary_never_shows_secrets()
    {
        var options = new EpdConnectionOptions
        {
            RabbitMq = "amqp://epd:s3cr3t@rabbitmq:5672/",
            Redis = "redis:6379,password=hunter2",
            Blob = "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=c2VjcmV0a2V5;EndpointSuffix=core.windows.net",
        };

        var summary = options.ToString();

        Assert.That(summary, Does.Not.Contain("s3cr3t").And.Not.Contain("hunter2").And.Not.Contain("c2VjcmV0a2V5"));
        Assert.That(summary, Does.Contain("rabbitmq:5672").And.Contain("AccountName=acct"));
    }
}
