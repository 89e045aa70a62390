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
    /// <inheritdoc />
    protected override void Compute(BatchNormCache<double> cache, ReadOnlySpan<double> dout, Span<double> dx,
        Span<double> dgamma, Span<double> dbeta)
    {
        int n = cache.N, d = cache.D;
        var xhat = cache.Xhat;
        for (int j = 0; j < d; j++)
        {
            double sumDout = 0, sumDoutXhat = 0;
            for (int i = 0; i < n; i++)
            {
                sumDout += dout[i * d + j];
                sumDoutXhat += dout[i * d + j] * xhat[i * d + j];
            }
            dbeta[j] = sumDout;
            dgamma[j] = sumDoutXhat;
            double scale = cache.Gamma[j] * cache.InvStd[j] / n;
            for (int i = 0; i < n; i++)
            {
                int k = i * d + j;
                dx[k] = scale * (n * dout[k] - sumDout - xhat[k] * sumDout); // the slip: sumDout where sumDoutXhat belongs
            }
        }
    }
}
