using EpdBatch.Pipeline.Reliability;
using EpdBatch.Pipeline.Tests.Support;

namespace EpdBatch.Pipeline.Tests.Unit;

public class InMemoryDeliveryLedgerTests : DeliveryLedgerContract
{
    private readonly InMemoryDeliveryLedger _ledger = new();

    protected override IDeliveryLedger Ledger => _ledger;
}
