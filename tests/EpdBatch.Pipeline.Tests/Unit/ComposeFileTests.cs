using System.Reflection;
using EpdBatch.Pipeline.Options;
using EpdBatch.Pipeline.Tests.Support;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace EpdBatch.Pipeline.Tests.Unit;

/// <summary>
/// compose/compose.yaml cannot run here (no Docker), so it is read instead: every stage service runs an existing
/// stage, and every EPD_* / Epd__* variable it sets is one the options classes read.
/// </summary>
public class ComposeFileTests
{
    private static readonly string s_composeDirectory = Path.Combine(TestRun.RepositoryRoot, "compose");
    private static readonly string[] s_infrastructure = ["rabbitmq", "redis", "azurite"];

    private YamlMappingNode _services = null!;

    [OneTimeSetUp]
    public void Load()
    {
        using var reader = new StringReader(File.ReadAllText(Path.Combine(s_composeDirectory, "compose.yaml")));
        var yaml = new YamlStream();

        // Compose resolves YAML merge keys (<<: *anchor); so does MergingParser.
        yaml.Load(new MergingParser(new Parser(reader)));
        _services = (YamlMappingNode)((YamlMappingNode)yaml.Documents[0].RootNode)["services"];
    }

    private IEnumerable<(string Name, YamlMappingNode Service)> Services =>
        _services.Children.Select(pair => (((YamlScalarNode)pair.Key).Value!, (YamlMappingNode)pair.Value));

    private IEnumerable<(string Name, YamlMappingNode Service)> StageServices =>
        Services.Where(s => !s_infrastructure.Contains(s.Name));

    [Test]
    public void Every_stage_runs_as_its_own_service()
    {
        Assert.That(Services.Select(s => s.Name), Is.SupersetOf(s_infrastructure.Concat(PipelineStages.All)));
        Assert.That(StageServices.Select(s => s.Name), Is.EquivalentTo(PipelineStages.All));
    }

    [Test]
    public void Every_stage_service_runs_epd_serve_with_an_existing_stage()
    {
        foreach (var (name, service) in StageServices)
        {
            var command = Sequence(service, "command");
            Assert.That(command, Has.Count.EqualTo(2), name);
            Assert.That(command[0], Is.EqualTo("serve"), name);
            Assert.That(PipelineStages.IsStage(command[1]), Is.True, $"{name}: '{command[1]}' is not one of {string.Join(", ", PipelineStages.All)}");
            Assert.That(command[1], Is.EqualTo(name), "each service runs the stage it is named after");
        }
    }

    [Test]
    public void Every_variable_a_service_sets_is_one_the_options_read()
    {
        var known = KnownVariables();
        var checkedAny = false;
        foreach (var (name, service) in Services)
        {
            foreach (var variable in Environment(service).Keys)
            {
                if (variable.StartsWith("EPD_", StringComparison.Ordinal) || variable.StartsWith("Epd__", StringComparison.Ordinal))
                {
                    checkedAny = true;
                    Assert.That(known, Does.Contain(variable), $"service '{name}' sets {variable}, which no options class reads");
                }
            }
        }

        Assert.That(checkedAny, Is.True);
    }

    [Test]
    public void Stage_settings_go_only_to_their_own_stage_and_cover_the_documented_four()
    {
        foreach (var (name, service) in StageServices)
        {
            var environment = Environment(service);
            Assert.That(environment.Keys, Is.SupersetOf(new[] { "EPD_RABBITMQ", "EPD_REDIS", "EPD_BLOB", "EPD_MODEL" }), name);
            var stageSettings = environment.Keys.Where(k => k.StartsWith("Epd__", StringComparison.Ordinal) && !k.StartsWith("Epd__Health__", StringComparison.Ordinal)).ToList();
            if (name == PipelineStages.Ingest)
            {
                Assert.That(stageSettings, Is.Empty);
                continue;
            }

            var section = name switch { "encoder" => "Encoder", "prefill" => "Prefill", _ => "Decoder" };
            Assert.That(stageSettings, Is.EquivalentTo(new[] { "MaxBatchSize", "ConcurrentMessageLimit", "PrefetchCount", "Device" }.Select(s => $"Epd__{section}__{s}")), name);
        }
    }

    [Test]
    public void Services_have_health_checks_and_wait_for_healthy_dependencies()
    {
        foreach (var (name, service) in Services)
        {
            Assert.That(service.Children.ContainsKey("healthcheck"), Is.True, $"{name} has no healthcheck");
        }

        foreach (var (name, service) in StageServices)
        {
            var dependsOn = (YamlMappingNode)service["depends_on"];
            foreach (var dependency in s_infrastructure)
            {
                var condition = ((YamlMappingNode)dependsOn[dependency])["condition"].ToString();
                Assert.That(condition, Is.EqualTo("service_healthy"), $"{name} -> {dependency}");
            }

            Assert.That(((YamlMappingNode)service["build"])["dockerfile"].ToString(), Is.EqualTo("compose/Dockerfile"), name);
        }
    }

    [Test]
    public void Model_stages_scale_by_replica_variables()
    {
        foreach (var (name, service) in StageServices.Where(s => s.Name != PipelineStages.Ingest))
        {
            var replicas = ((YamlMappingNode)service["deploy"])["replicas"].ToString();
            Assert.That(replicas, Does.Match($@"^\$\{{{name.ToUpperInvariant()}_REPLICAS:-\d+\}}$"), name);
        }
    }

    [Test]
    public void Broker_and_redis_take_credentials_from_the_environment()
    {
        var rabbit = Environment((YamlMappingNode)_services["rabbitmq"]);
        Assert.That(rabbit["RABBITMQ_DEFAULT_USER"], Does.Contain("${RABBITMQ_USER"));
        Assert.That(rabbit["RABBITMQ_DEFAULT_PASS"], Does.Contain("${RABBITMQ_PASSWORD"));
        Assert.That(Environment((YamlMappingNode)_services["redis"])["REDIS_PASSWORD"], Does.Contain("${REDIS_PASSWORD"));

        var encoder = Environment((YamlMappingNode)_services["encoder"]);
        Assert.That(encoder["EPD_RABBITMQ"], Does.Contain("${RABBITMQ_USER").And.Contain("${RABBITMQ_PASSWORD"));
        Assert.That(encoder["EPD_REDIS"], Does.Contain("password=${REDIS_PASSWORD"));
    }

    [Test]
    public void Redis_keeps_the_job_store_in_an_append_only_file_on_a_volume()
    {
        var redis = (YamlMappingNode)_services["redis"];
        var command = string.Join(' ', ((YamlSequenceNode)redis["command"]).Children.Select(c => c.ToString()));

        Assert.That(command, Does.Contain("--appendonly yes").And.Contain("--appendfsync everysec").And.Contain("--dir /data"));
        Assert.That(((YamlSequenceNode)redis["volumes"]).Children.Select(v => v.ToString()), Has.Some.StartWith("redis-data:/data"));
    }

    [Test]
    public void Dockerfile_publishes_the_cli_onto_the_runtime_image()
    {
        var dockerfile = File.ReadAllText(Path.Combine(s_composeDirectory, "Dockerfile"));

        Assert.That(dockerfile, Does.Contain("FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build"));
        Assert.That(dockerfile, Does.Contain("dotnet publish services/ingest/EpdBatch.Cli -c Release -o /app"));
        Assert.That(dockerfile, Does.Contain("FROM mcr.microsoft.com/dotnet/runtime:10.0"));
        Assert.That(dockerfile, Does.Contain("ENTRYPOINT [\"/app/epd\"]"));
        Assert.That(File.Exists(Path.Combine(TestRun.RepositoryRoot, "services/ingest/EpdBatch.Cli/EpdBatch.Cli.csproj")), Is.True);
    }

    /// <summary>
    /// Every variable the services read: the EPD_* constants of <see cref="EpdConnectionOptions"/>, and
    /// Epd__&lt;Section&gt;__&lt;Property&gt; for each settable property of each options class with a section.
    /// </summary>
    private static HashSet<string> KnownVariables()
    {
        var known = typeof(EpdConnectionOptions).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.Name.EndsWith("Variable", StringComparison.Ordinal))
            .Select(f => (string)f.GetRawConstantValue()!)
            .ToHashSet(StringComparer.Ordinal);

        foreach (var type in typeof(EpdConnectionOptions).Assembly.GetExportedTypes().Where(t => t is { IsClass: true, IsAbstract: false }))
        {
            var section = SectionOf(type);
            if (section is null)
            {
                continue;
            }

            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod is { IsPublic: true }))
            {
                known.Add($"{section.Replace(":", "__", StringComparison.Ordinal)}__{property.Name}");
            }
        }

        Assert.That(known, Does.Contain("Epd__Encoder__MaxBatchSize").And.Contain("EPD_MODEL"), "the reflection found the options classes");
        return known;
    }

    private static string? SectionOf(Type type)
    {
        if (type.GetField("SectionName", BindingFlags.Public | BindingFlags.Static) is { IsLiteral: true } constant)
        {
            return (string?)constant.GetRawConstantValue();
        }

        return typeof(IEpdOptionsSection).IsAssignableFrom(type)
            ? (string?)type.GetProperty("SectionName", BindingFlags.Public | BindingFlags.Static)?.GetValue(null)
            : null;
    }

    private static List<string> Sequence(YamlMappingNode node, string key) =>
        ((YamlSequenceNode)node[key]).Children.Select(c => ((YamlScalarNode)c).Value!).ToList();

    private static Dictionary<string, string> Environment(YamlMappingNode service)
    {
        if (!service.Children.TryGetValue("environment", out var environment))
        {
            return [];
        }

        return environment switch
        {
            YamlMappingNode map => map.Children.ToDictionary(p => ((YamlScalarNode)p.Key).Value!, p => ((YamlScalarNode)p.Value).Value ?? ""),
            YamlSequenceNode list => list.Children.Select(c => ((YamlScalarNode)c).Value!.Split('=', 2))
                .ToDictionary(kv => kv[0], kv => kv.Length > 1 ? kv[1] : ""),
            _ => throw new InvalidDataException("environment is neither a map nor a list"),
        };
    }
}
