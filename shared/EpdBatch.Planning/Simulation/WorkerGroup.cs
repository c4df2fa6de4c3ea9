namespace EpdBatch.Planning.Simulation;

/// <summary><paramref name="Count"/> GPUs that each run the stages in <paramref name="Roles"/>.</summary>
public sealed record WorkerGroup(StageRoles Roles, int Count)
{
    public override string ToString()
    {
        var name = (Roles.HasFlag(StageRoles.Encode) ? "E" : "") + (Roles.HasFlag(StageRoles.Prefill) ? "P" : "") + (Roles.HasFlag(StageRoles.Decode) ? "D" : "");
        return name.Length == 1 ? $"{Count}{name}" : $"{Count}×{name}";
    }
}
