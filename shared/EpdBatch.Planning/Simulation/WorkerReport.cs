namespace EpdBatch.Planning.Simulation;

/// <summary>One GPU over a simulation: its share of the makespan spent on each stage it runs.</summary>
public sealed record WorkerReport(int Index, StageRoles Roles, double EncodeShare, double PrefillShare, double DecodeShare)
{
    public double BusyShare => EncodeShare + PrefillShare + DecodeShare;
}
