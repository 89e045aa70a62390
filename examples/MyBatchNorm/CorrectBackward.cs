using BnVerify;

namespace MyBatchNorm;

/// <summary>
/// The batch-normalization backward in its closed form, per column j over the N rows:
/// dbeta = Σdout, dgamma = Σ(dout·xhat), dx = (gamma·invStd/N)·(N·dout − Σdout − xhat·Σ(dout·xhat)).
/// </summary>
public sealed class CorrectBackward() : BatchNormBackward<double>(
    BackwardInfo.Correct("my-correct", "MyBatchNorm: the closed form", Family.External))
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
                dx[k] = scale * (n * dout[k] - sumDout - xhat[k] * sumDoutXhat);
            }
        }
    }
}
