namespace BnVerify.Implementations;

/// <summary>
/// Seed 004, the derivation through the cs231n graph: dbeta = Σdout, dgamma = Σdout·xhat, dxhat = dout·gamma,
/// dvar = Σ dxhat·(x − mean)·(−½)(var + eps)^(−3/2), dmean = Σ dxhat·(−1/sqrt(var + eps)) + dvar·Σ(−2(x − mean))/N,
/// dx = dxhat/sqrt(var + eps) + dvar·2(x − mean)/N + dmean/N (section 3, "合并三部分").
/// The document shows dmean and dx as code but dvar only by name; its standard form is reproduced here.
/// (Its prose writes var = (1/N)Σ(x_i − μ) without the square; the code it derives from squares, as here.) Correct.
/// </summary>
public sealed class Seed004Formula() : BatchNormBackward<double>(BackwardInfo.Correct(
    "seed004-formula", "seed 004, dvar / dmean / dx formulas (section 3)", Family.Seed))
{
    /// <inheritdoc />
    protected override void Compute(BatchNormCache<double> cache, ReadOnlySpan<double> dout, Span<double> dx, Span<double> dgamma, Span<double> dbeta)
    {
        int N = cache.N, D = cache.D;
        var x = cache.X;
        var mean = cache.Mean;
        var var = cache.Var;
        double eps = cache.Eps;

        // dbeta = np.sum(dout, axis=0); dgamma = np.sum(dout * x_hat, axis=0)
        dbeta.Clear();
        dgamma.Clear();
        for (int k = 0; k < N * D; k++)
        {
            dbeta[k % D] += dout[k];
            dgamma[k % D] += dout[k] * cache.Xhat[k];
        }

        // dx_hat = dout * gamma
        var dx_hat = new double[N * D];
        for (int k = 0; k < N * D; k++) dx_hat[k] = dout[k] * cache.Gamma[k % D];

        // dvar = np.sum(dx_hat * (x - mean) * -0.5 * (var + eps) ** -1.5, axis=0)
        var dvar = new double[D];
        for (int k = 0; k < N * D; k++) dvar[k % D] += dx_hat[k] * (x[k] - mean[k % D]) * -0.5 * Math.Pow(var[k % D] + eps, -1.5);

        // dmean = np.sum(dx_hat * -1.0 / np.sqrt(var + eps), axis=0) + dvar * np.sum(-2.0 * (x - mean), axis=0) / N
        var dmean = new double[D];
        var sumMinus2xmu = new double[D];
        for (int k = 0; k < N * D; k++)
        {
            dmean[k % D] += dx_hat[k] * -1.0 / Math.Sqrt(var[k % D] + eps);
            sumMinus2xmu[k % D] += -2.0 * (x[k] - mean[k % D]);
        }
        for (int j = 0; j < D; j++) dmean[j] += dvar[j] * sumMinus2xmu[j] / N;

        // dx = dx_hat / np.sqrt(var + eps) + dvar * 2.0 * (x - mean) / N + dmean / N
        for (int k = 0; k < N * D; k++)
        {
            int j = k % D;
            dx[k] = dx_hat[k] / Math.Sqrt(var[j] + eps) + dvar[j] * 2.0 * (x[k] - mean[j]) / N + dmean[j] / N;
        }
    }
}
