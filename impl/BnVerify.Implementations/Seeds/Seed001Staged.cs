namespace BnVerify.Implementations;

/// <summary>
/// Seed 001, the staged computational-graph backward (<c>batchnorm_backward</c>): walks the forward's stages
/// (mu, xmu, sq, var, sqrtvar, ivar, xhat, out) in reverse, one temporary per stage, exactly as the document does.
/// The document's cache is (xhat, gamma, xmu, ivar, sqrtvar, var, eps); xmu, sqrtvar and ivar are re-derived here
/// from the shared cache with the forward's own operations, so they are bit-identical.
/// The document's three comments without '#' (step2, step1) are read as comments. Correct; the benchmark baseline.
/// </summary>
public sealed class Seed001Staged() : BatchNormBackward<double>(BackwardInfo.Correct(
    "seed001-staged", "seed 001, staged computational-graph backward (batchnorm_backward)", Family.Seed))
{
    /// <inheritdoc />
    protected override void Compute(BatchNormCache<double> cache, ReadOnlySpan<double> dout, Span<double> dx, Span<double> dgamma, Span<double> dbeta)
    {
        int N = cache.N, D = cache.D;
        var xhat = cache.Xhat;
        var gamma = cache.Gamma;
        double eps = cache.Eps;
        var var = cache.Var;
        var xmu = new double[N * D];
        var sqrtvar = new double[D];
        var ivar = new double[D];
        for (int j = 0; j < D; j++)
        {
            sqrtvar[j] = Math.Sqrt(var[j] + eps);
            ivar[j] = 1.0 / sqrtvar[j];
        }
        for (int k = 0; k < N * D; k++) xmu[k] = cache.X[k] - cache.Mean[k % D];

        // step6: out = gammax + beta, gammax = gamma * xhat
        dbeta.Clear();
        for (int k = 0; k < N * D; k++) dbeta[k % D] += dout[k];
        var dgammax = dout;
        dgamma.Clear();
        for (int k = 0; k < N * D; k++) dgamma[k % D] += dgammax[k] * xhat[k];
        var dxhat = new double[N * D];
        for (int k = 0; k < N * D; k++) dxhat[k] = dgammax[k] * gamma[k % D];

        // step5: xhat = xmu * ivar
        var divar = new double[D];
        for (int k = 0; k < N * D; k++) divar[k % D] += dxhat[k] * xmu[k];
        var dxmu1 = new double[N * D];
        for (int k = 0; k < N * D; k++) dxmu1[k] = dxhat[k] * ivar[k % D];

        // step4: ivar = 1/sqrtvar, sqrtvar = sqrt(var + eps)
        var dsqrtvar = new double[D];
        for (int j = 0; j < D; j++) dsqrtvar[j] = -1.0 / (sqrtvar[j] * sqrtvar[j]) * divar[j];
        var dvar = new double[D];
        for (int j = 0; j < D; j++) dvar[j] = 0.5 * 1.0 / Math.Sqrt(var[j] + eps) * dsqrtvar[j];

        // step3: var = 1/N * sum(sq), sq = xmu ** 2
        var dsq = new double[N * D];
        for (int k = 0; k < N * D; k++) dsq[k] = 1.0 / N * 1.0 * dvar[k % D];
        var dxmu2 = new double[N * D];
        for (int k = 0; k < N * D; k++) dxmu2[k] = 2 * xmu[k] * dsq[k];

        // step2: xmu = x - mu
        var dx1 = new double[N * D];
        for (int k = 0; k < N * D; k++) dx1[k] = dxmu1[k] + dxmu2[k];

        // step1: mu = 1/N * sum(x)
        var dmu = new double[D];
        for (int k = 0; k < N * D; k++) dmu[k % D] += -1 * (dxmu1[k] + dxmu2[k]);
        var dx2 = new double[N * D];
        for (int k = 0; k < N * D; k++) dx2[k] = 1.0 / N * 1.0 * dmu[k % D];

        // step0 done!
        for (int k = 0; k < N * D; k++) dx[k] = dx1[k] + dx2[k];
    }
}
