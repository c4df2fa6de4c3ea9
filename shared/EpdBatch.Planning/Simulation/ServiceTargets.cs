namespace EpdBatch.Planning.Simulation;

/// <summary>Latency targets an item must meet to count toward goodput.</summary>
/// <param name="TtftSeconds">Time to first token: arrival to the end of its prefill.</param>
/// <param name="TpotSeconds">Time per output token after the first.</param>
public sealed record ServiceTargets(double TtftSeconds, double TpotSeconds);
