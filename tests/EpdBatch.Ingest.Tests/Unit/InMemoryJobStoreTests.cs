using EpdBatch.Ingest.Jobs;
using EpdBatch.Ingest.Tests.Support;

namespace EpdBatch.Ingest.Tests.Unit;

public class InMemoryJobStoreTests : JobStoreContract
{
    protected override IJobStore CreateStore() => new InMemoryJobStore(TimeProvider.System);
}
