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
    public void A_signature_inside_quoted_text_ends_at_the_quote() =>
        Assert.That(SecretRedactor.Redact("{\"uri\":\"https://a.blob.core.windows.net/c/x?sig=abc%2B\",\"n\":1}"),
            Is.EqualTo("{\"uri\":\"https://a.blob.core.windows.net/c/x?sig=***\",\"n\":1}"));

    [Test]
    public void Remembered_connection_secrets_are_masked_anywhere_in_every_form()
    {
        var password = "Pw-" + Guid.NewGuid().ToString("N")[..12] + "/+=";
        var redisPassword = "Rd-" + Guid.NewGuid().ToString("N")[..12];
        var accountKey = Convert.ToBase64String(Guid.NewGuid().ToByteArray()) + "xyz/";
        SecretRedactor.RememberSecretsOf(new EpdConnectionOptions
        {
            RabbitMq = $"amqp://epd:{Uri.EscapeDataString(password)}@127.0.0.1:5672/vhost",
            Redis = $"127.0.0.1:6379,user=epd,password={redisPassword}",
            Blob = $"DefaultEndpointsProtocol=http;AccountName=acct;AccountKey={accountKey};BlobEndpoint=http://127.0.0.1:10000/acct;",
        });

        // Out of any key=value or URI context: an exception that quotes the value alone.
        var text = $"auth failed for '{password}' ({Uri.EscapeDataString(password)}); redis said {redisPassword}; key {accountKey} {Uri.EscapeDataString(accountKey)}";
        var redacted = SecretRedactor.Redact(text);

        Assert.That(redacted, Does.Not.Contain(password).And.Not.Contain(Uri.EscapeDataString(password)));
        Assert.That(redacted, Does.Not.Contain(redisPassword).And.Not.Contain(accountKey).And.Not.Contain(Uri.EscapeDataString(accountKey)));
        Assert.That(redacted, Does.StartWith("auth failed for '***'"));
    }

    [Test]
    public void Short_values_are_not_remembered()
    {
        SecretRedactor.Remember("abc");
        Assert.That(SecretRedactor.Redact("abc abcdef"), Is.EqualTo("abc abcdef"));
    }

    [Test]
    public void The_redacting_writer_masks_every_kind_of_write()
    {
        var secret = "Wr-" + Guid.NewGuid().ToString("N");
        SecretRedactor.Remember(secret);
        var inner = new StringWriter();
        var writer = RedactingTextWriter.Wrap(inner);

        writer.Write($"a {secret}");
        writer.WriteLine($" b amqp://u:{secret}x@h/");
        writer.Write($"c {secret}".ToCharArray(), 0, 2 + secret.Length);
        writer.Write($"d {secret}".AsSpan());
        writer.WriteLine("e redis:6379,password=hunter2");
        writer.Flush();

        Assert.That(inner.ToString(), Does.Not.Contain(secret).And.Not.Contain("hunter2"));
        Assert.That(inner.ToString(), Does.Contain("a ***").And.Contain("c ***").And.Contain("d ***").And.Contain("password=***"));
    }

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
