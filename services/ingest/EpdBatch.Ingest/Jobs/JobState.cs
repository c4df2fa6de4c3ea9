namespace EpdBatch.Ingest.Jobs;

/// <summary>
/// Where a job is: <c>validating → in_progress → finalizing → completed</c>, or <c>failed</c>, or
/// <c>cancelling → cancelled</c> (<see cref="JobStateMachine"/> holds the allowed moves). Written as the
/// snake_case names (<see cref="JobStateMachine.Name"/>) everywhere people or other processes see them.
/// </summary>
public enum JobState
{
    Validating,
    InProgress,
    Finalizing,
    Completed,
    Failed,
    Cancelling,
    Cancelled,
}
