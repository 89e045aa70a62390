namespace BnVerify.Implementations;

/// <summary>
/// Seed 000, the first <c>batchnorm_backward(dout, cache)</c> snippet (cache = X, X_norm, mu, var, gamma, beta):
/// std_inv = 1/sqrt(var + 1e-8) with eps hard-coded, dvar = Σ(dX_norm·X_mu)·(−½)·std_inv³,
/// dmu = Σ(dX_norm·(−std_inv)) + dvar·mean(−2·X_mu), dX = dX_norm·std_inv + dvar·2·X_mu/N + dmu/N.
/// The author thought dx lacks gamma; it does not (dX_norm = dout·gamma). Flawed: it is right only when the
/// forward's eps is 1e-8, since it ignores the eps the forward used.
/// </summary>
public sealed class Seed000Snippet() : BatchNormBackward<double>(BackwardInfo.Flawed(
    "seed000-snippet", "seed 000, first batchnorm_backward snippet (eps hard-coded 1e-8)",
    "right only when the forward's eps is 1e-8", Family.Seed))
{
    /// <inheritdoc />
    protected override void Compute(BatchNormCache<double> cache, ReadOnlySpan<double> dout, Span<double> dX, Span<double> dgamma, Span<double> dbeta)
    {
        int N = cache.N, D = cache.D;
        var X = cache.X;
        var X_norm = cache.Xhat;
        var mu = cache.Mean;
        var var = cache.Var;
        var gamma = cache.Gamma;

        // X_mu = X - mu; std_inv = 1. / np.sqrt(var + 1e-8)
        var X_mu = new double[N * D];
        for (int k = 0; k < N * D; k++) X_mu[k] = X[k] - mu[k % D];
        var std_inv = new double[D];
        for (int j = 0; j < D; j++) std_inv[j] = 1.0 / Math.Sqrt(var[j] + 1e-8);

        // dX_norm = dout * gamma
        var dX_norm = new double[N * D];
        for (int k = 0; k < N * D; k++) dX_norm[k] = dout[k] * gamma[k % D];

        // dvar = np.sum(dX_norm * X_mu, axis=0) * -.5 * std_inv**3
        var dvar = new double[D];
        for (int k = 0; k < N * D; k++) dvar[k % D] += dX_norm[k] * X_mu[k];
        for (int j = 0; j < D; j++) dvar[j] *= -.5 * Math.Pow(std_inv[j], 3);

        // dmu = np.sum(dX_norm * -std_inv, axis=0) + dvar * np.mean(-2. * X_mu, axis=0)
        var dmu = new double[D];
        var meanMinus2Xmu = new double[D];
        for (int k = 0; k < N * D; k++)
        {
            dmu[k % D] += dX_norm[k] * -std_inv[k % D];
            meanMinus2Xmu[k % D] += -2.0 * X_mu[k];
        }
        for (int j = 0; j < D; j++) dmu[j] += dvar[j] * (meanMinus2Xmu[j] / N);

        // dX = (dX_norm * std_inv) + (dvar * 2 * X_mu / N) + (dmu / N)
        for (int k = 0; k < N * D; k++)
        {
            int j = k % D;
            dX[k] = (dX_norm[k] * std_inv[j]) + (dvar[j] * 2 * X_mu[k] / N) + (dmu[j] / N);
        }

        // dgamma = np.sum(dout * X_norm, axis=0); dbeta = np.sum(dout, axis=0)
        dgamma.Clear();
        dbeta.Clear();
        for (int k = 0; k < N * D; k++)
        {
            dgamma[k % D] += dout[k] * X_norm[k];
            dbeta[k % D] += dout[k];
        }
    }
}
