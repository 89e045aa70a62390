using BnVerify;

namespace MyBatchNorm;

/// <summary>
/// The same closed form with a classic slip (the one in cs231n's <c>batchnorm_backward_alt</c> as often written):
/// the variance-path term uses xhat·Σdout where xhat·Σ(dout·xhat) belongs. dgamma and dbeta are right; dx is right
/// only when Σdout = Σ(dout·xhat) in every column, so a single random check can easily miss it.
/// It declares itself correct, as its author believes it is: BnVerify finds out.
/// </summary>
public sealed class WrongBackward() : BatchNormBackward<double>(
    BackwardInfo.Correct("my-wrong", "MyBatchNorm: the closed form with a slip", Family.External))
{
    private readonly CorrectBackward _closedForm = new();

    /// <inheritdoc />
    protected override void Compute(BatchNormCache<double> cache, ReadOnlySpan<double> dout, Span<double> dx,
        Span<double> dgamma, Span<double> dbeta)
    {
        // The closed form's dbeta = Σdout and dgamma = Σ(dout·xhat), which are right; then dx again, with the slip.
        _closedForm.Backward(cache, dout, dx, dgamma, dbeta);
        int n = cache.N, d = cache.D;
        for (int k = 0; k < n * d; k++)
        {
            int j = k % d;
            double scale = cache.Gamma[j] * cache.InvStd[j] / n;
            dx[k] = scale * (n * dout[k] - dbeta[j] - cache.Xhat[k] * dbeta[j]); // the slip: dbeta (Σdout) where dgamma (Σ(dout·xhat)) belongs
        }
    }
}
