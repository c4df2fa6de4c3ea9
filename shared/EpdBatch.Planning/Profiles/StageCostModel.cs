namespace EpdBatch.Planning.Profiles;

/// <summary>
/// A <see cref="StageProfile"/> made ready to evaluate fast: each measured cost as a non-decreasing piecewise
/// linear curve or bilinear surface through the measured points, extended linearly beyond them. The simulator
/// calls it once per batch or decode run, so it allocates nothing.
/// </summary>
public sealed class StageCostModel
{
    private readonly PiecewiseLinearCurve _encoder;
    private readonly BilinearSurface _prefill;
    private readonly BilinearSurface _decode;
    private readonly PiecewiseLinearCurve _transfer;

    public StageCostModel(StageProfile profile)
    {
        profile.Validate();
        Profile = profile;
        _encoder = new PiecewiseLinearCurve(profile.Encoder.Sizes, profile.Encoder.Seconds);
        _prefill = new BilinearSurface(profile.Prefill);
        _decode = new BilinearSurface(profile.DecodeStep);
        _transfer = new PiecewiseLinearCurve(profile.Transfer.Sizes, profile.Transfer.Seconds);
    }

    public StageProfile Profile { get; }

    /// <summary>One encoder forward over <paramref name="images"/> tower inputs; nothing to encode costs nothing.</summary>
    public double EncodeSeconds(int images) => images <= 0 ? 0 : _encoder.Evaluate(images);

    /// <summary>One prefill forward of <paramref name="batch"/> sequences padded to <paramref name="paddedTokens"/>.</summary>
    public double PrefillSeconds(int batch, int paddedTokens) => batch <= 0 ? 0 : _prefill.Evaluate(batch, paddedTokens);

    /// <summary>One decode step of <paramref name="batch"/> sequences, the longest at <paramref name="context"/> positions.</summary>
    public double DecodeStepSeconds(int batch, int context) => batch <= 0 ? 0 : _decode.Evaluate(batch, context);

    /// <summary><paramref name="steps"/> decode steps at a fixed batch, the context growing by one per step from <paramref name="firstContext"/>.</summary>
    public double DecodeStepsSeconds(int batch, int firstContext, int steps) =>
        batch <= 0 || steps <= 0 ? 0 : _decode.SumOverLengths(batch, firstContext, steps);

    /// <summary>
    /// Of <paramref name="steps"/> decode steps like <see cref="DecodeStepsSeconds"/>'s, the fewest that last at least
    /// <paramref name="seconds"/> (all of them if they do not), and how long those take.
    /// </summary>
    public int DecodeStepsLasting(int batch, int firstContext, int steps, double seconds, out double elapsed) =>
        _decode.StepsToReach(batch, firstContext, steps, seconds, out elapsed);

    /// <summary>Moving <paramref name="bytes"/> from one stage to the next; an empty payload moves for free.</summary>
    public double TransferSeconds(long bytes) => bytes <= 0 ? 0 : _transfer.Evaluate(bytes);

    /// <summary>Whether a batch size lies beyond what the profile measured (the cost there is extrapolated).</summary>
    public bool IsExtrapolated(int encoderImages, int prefillBatch, int decodeBatch) =>
        encoderImages > Profile.Encoder.Sizes[^1] || prefillBatch > _prefill.MaxBatch || decodeBatch > _decode.MaxBatch;
}
