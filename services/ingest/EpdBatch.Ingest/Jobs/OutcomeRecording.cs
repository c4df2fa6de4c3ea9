namespace EpdBatch.Ingest.Jobs;

/// <summary>What became of an attempt to record an item's terminal state.</summary>
public enum OutcomeRecording
{
    /// <summary>Recorded: the first terminal state of this (job, item).</summary>
    Recorded,

    /// <summary>The item already had a terminal state (a redelivered or duplicated message): ignored.</summary>
    Duplicate,

    /// <summary>No such job (another deployment's, or one past its retention): ignored.</summary>
    UnknownJob,

    /// <summary>The job has no item at that index: ignored.</summary>
    UnknownItem,
}
