namespace UserBackwards;

/// <summary>A user's correct closed form: dx = (gamma·invStd/N)·(N·dout − Σdout − xhat·Σ(dout·xhat)).</summary>
public sealed class UserClosedForm() : BnVerify.BatchNormBackward<double>(
    BnVerify.BackwardInfo.Correct("user-closed-form", "a user's assembly", BnVerify.Family.External))
{
    protected override void Compute(BnVerify.BatchNormCache<double> cache, ReadOnlySpan<double> dout, Span<double> dx, Span<double> dgamma, Span<double> dbeta) =>
        ClosedForm.Backward(cache, dout, dx, dgamma, dbeta, varianceSlip: false);
}

/// <summary>A user's slip that they believe correct: the variance path uses Σdout where Σ(dout·xhat) belongs.</summary>
public sealed class UserVarianceSlip() : BnVerify.BatchNormBackward<double>(
    BnVerify.BackwardInfo.Correct("user-variance-slip", "a user's assembly", BnVerify.Family.External))
{
    protected override void Compute(BnVerify.BatchNormCache<double> cache, ReadOnlySpan<double> dout, Span<double> dx, Span<double> dgamma, Span<double> dbeta) =>
        ClosedForm.Backward(cache, dout, dx, dgamma, dbeta, varianceSlip: true);
}

/// <summary>A user's class whose constructor throws.</summary>
public sealed class UserNeedsGpu : BnVerify.BatchNormBackward<float>
{
    public UserNeedsGpu() : base(BnVerify.BackwardInfo.Correct("user-needs-gpu", "a user's assembly", BnVerify.Family.External)) =>
        throw new InvalidOperationException("no CUDA device found");

    protected override void Compute(BnVerify.BatchNormCache<float> cache, ReadOnlySpan<float> dout, Span<float> dx, Span<float> dgamma, Span<float> dbeta) { }
}
