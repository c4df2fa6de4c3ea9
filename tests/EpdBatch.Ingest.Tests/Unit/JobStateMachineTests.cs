using EpdBatch.Ingest.Jobs;

namespace EpdBatch.Ingest.Tests.Unit;

/// <summary>The lifecycle's table: every allowed move, and that nothing else moves.</summary>
public class JobStateMachineTests
{
    private static readonly (JobState From, JobState To)[] s_allowed =
    [
        (JobState.Validating, JobState.InProgress),
        (JobState.Validating, JobState.Failed),
        (JobState.Validating, JobState.Cancelling),
        (JobState.InProgress, JobState.Finalizing),
        (JobState.InProgress, JobState.Cancelling),
        (JobState.Finalizing, JobState.Completed),
        (JobState.Finalizing, JobState.Failed),
        (JobState.Cancelling, JobState.Cancelled),
        (JobState.Cancelling, JobState.Failed),
    ];

    [Test]
    public void Exactly_the_lifecycle_moves_are_allowed()
    {
        foreach (var from in JobStateMachine.All)
        {
            foreach (var to in JobStateMachine.All)
            {
                Assert.That(JobStateMachine.CanMove(from, to), Is.EqualTo(s_allowed.Contains((from, to))), $"{from} → {to}");
            }
        }
    }

    [Test]
    public void Terminal_states_are_completed_failed_and_cancelled()
    {
        Assert.That(JobStateMachine.All.Where(JobStateMachine.IsTerminal), Is.EquivalentTo(new[] { JobState.Completed, JobState.Failed, JobState.Cancelled }));
        Assert.That(JobStateMachine.All.Where(JobStateMachine.IsCancellable), Is.EquivalentTo(new[] { JobState.Validating, JobState.InProgress }));
    }

    [Test]
    public void Names_are_snake_case_and_round_trip()
    {
        Assert.That(JobStateMachine.All.Select(JobStateMachine.Name), Is.EqualTo(new[]
        {
            "validating", "in_progress", "finalizing", "completed", "failed", "cancelling", "cancelled",
        }));
        Assert.That(JobStateMachine.All.Select(s => JobStateMachine.Parse(JobStateMachine.Name(s))), Is.EqualTo(JobStateMachine.All));
        Assert.That(() => JobStateMachine.Parse("running"), Throws.TypeOf<FormatException>());
    }
}
