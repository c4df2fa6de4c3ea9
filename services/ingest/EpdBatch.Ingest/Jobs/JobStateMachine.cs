namespace EpdBatch.Ingest.Jobs;

/// <summary>The job lifecycle's allowed transitions and the states' names.</summary>
public static class JobStateMachine
{
    private static readonly Dictionary<JobState, JobState[]> s_next = new()
    {
        [JobState.Validating] = [JobState.InProgress, JobState.Failed, JobState.Cancelling],
        [JobState.InProgress] = [JobState.Finalizing, JobState.Cancelling],
        [JobState.Finalizing] = [JobState.Completed, JobState.Failed],
        [JobState.Cancelling] = [JobState.Cancelled, JobState.Failed],
        [JobState.Completed] = [],
        [JobState.Failed] = [],
        [JobState.Cancelled] = [],
    };

    /// <summary>Every state, in lifecycle order.</summary>
    public static IReadOnlyList<JobState> All { get; } = Enum.GetValues<JobState>();

    public static bool CanMove(JobState from, JobState to) => s_next[from].Contains(to);

    public static IReadOnlyList<JobState> Next(JobState from) => s_next[from];

    /// <summary>Completed, failed or cancelled: nothing more happens to the job.</summary>
    public static bool IsTerminal(JobState state) => state is JobState.Completed or JobState.Failed or JobState.Cancelled;

    /// <summary>A job that a cancel request can still stop (not yet exporting, not finished).</summary>
    public static bool IsCancellable(JobState state) => CanMove(state, JobState.Cancelling);

    /// <summary><c>validating</c>, <c>in_progress</c>, …: the name in the store, in <c>epd status</c> and in replies.</summary>
    public static string Name(JobState state) => state switch
    {
        JobState.Validating => "validating",
        JobState.InProgress => "in_progress",
        JobState.Finalizing => "finalizing",
        JobState.Completed => "completed",
        JobState.Failed => "failed",
        JobState.Cancelling => "cancelling",
        JobState.Cancelled => "cancelled",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };

    public static JobState Parse(string name) => TryParse(name, out var state)
        ? state
        : throw new FormatException($"'{name}' is not a job state ({string.Join(", ", All.Select(Name))}).");

    public static bool TryParse(string? name, out JobState state)
    {
        foreach (var candidate in All)
        {
            if (string.Equals(Name(candidate), name, StringComparison.Ordinal))
            {
                state = candidate;
                return true;
            }
        }

        state = default;
        return false;
    }
}
