namespace EpdBatch.Ingest.Tests.Support;

/// <summary>The Redis key prefix and queue names of one test, fresh each time.</summary>
public sealed record IngestNames(string KeyPrefix, string JobQueue, string ResultsQueue, string StageQueue)
{
    public static IngestNames Fresh()
    {
        var id = TestRun.Name("t");
        return new IngestNames($"epdtest:{id}:", $"{id}-jobs", $"{id}-results", $"{id}-stage");
    }

    public IEnumerable<string> Queues => [JobQueue, ResultsQueue, StageQueue];
}
