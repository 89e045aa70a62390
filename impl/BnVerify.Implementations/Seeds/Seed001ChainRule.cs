namespace BnVerify.Implementations;

/// <summary>
/// Seed 001's prose chain-rule formula, applied per element:
/// dl/dx_i = dl/dy_i · dy_i/dx̂_i · (∂x̂_i/∂x_i + ∂x̂_i/∂μ·∂μ/∂x_i + ∂x̂_i/∂σ²·∂σ²/∂μ·∂μ/∂x_i).
/// Reading: the document's "dy_i/dx_i" in front of the bracket is taken as dy_i/dx̂_i = γ; the partials are
/// ∂x̂_i/∂x_i = invStd, ∂x̂_i/∂μ = −invStd, ∂μ/∂x_i = 1/N, ∂x̂_i/∂σ² = −½(x_i − μ)·invStd³,
/// ∂σ²/∂μ = −(2/N)·Σ_k(x_k − μ) (zero up to rounding). So dx_i = dl/dy_i·γ·(invStd − invStd/N + tiny).
/// Flawed: dl/dx_i depends on dl/dy_i alone. The formula drops the cross-sample terms (every other sample's
/// dl/dy_k reaches x_i through μ and σ²) and the direct variance path ∂σ²/∂x_i.
/// </summary>
public sealed class Seed001ChainRule() : BatchNormBackward<double>(BackwardInfo.Flawed(
    "seed001-chain-rule", "seed 001, prose chain-rule formula for dl/dx_i",
    "drops the cross-sample terms: dl/dx_i uses dl/dy_i alone (Jacobian treated as diagonal)", Family.Seed))
{
    /// <inheritdoc />
    protected override void Compute(BatchNormCache<double> cache, ReadOnlySpan<double> dout, Span<double> dx, Span<double> dgamma, Span<double> dbeta)
    {
        int N = cache.N, D = cache.D;
        var xmu = new double[N * D];
        var sumXmu = new double[D];
        for (int k = 0; k < N * D; k++)
        {
            xmu[k] = cache.X[k] - cache.Mean[k % D];
            sumXmu[k % D] += xmu[k];
        }

        // dl/dgamma = Σ dl/dy_i · x̂_i ; dl/dbeta = Σ dl/dy_i
        dbeta.Clear();
        dgamma.Clear();
        for (int k = 0; k < N * D; k++)
        {
            dbeta[k % D] += dout[k];
            dgamma[k % D] += dout[k] * cache.Xhat[k];
        }

        for (int k = 0; k < N * D; k++)
        {
            int j = k % D;
            double invStd = cache.InvStd[j];
            double dxhat_dx = invStd;                                          // ∂x̂_i/∂x_i
            double dxhat_dmu = -invStd;                                        // ∂x̂_i/∂μ
            double dmu_dx = 1.0 / N;                                           // ∂μ/∂x_i
            double dxhat_dvar = -0.5 * xmu[k] * invStd * invStd * invStd;      // ∂x̂_i/∂σ²
            double dvar_dmu = -2.0 / N * sumXmu[j];                            // ∂σ²/∂μ
            double dy_dxhat = cache.Gamma[j];                                  // dy_i/dx̂_i
            dx[k] = dout[k] * dy_dxhat * (dxhat_dx + dxhat_dmu * dmu_dx + dxhat_dvar * dvar_dmu * dmu_dx);
        }
    }
}
