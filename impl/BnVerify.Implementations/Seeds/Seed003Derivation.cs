namespace BnVerify.Implementations;

/// <summary>
/// Seed 003, the hand derivation's closed form applied element by element:
/// dY_i/dX_i = gamma·(1 − m(σ² + ε)) / (m²·(σ² + ε)^(3/2)) · (X_i − m), and dx_i = dout_i · dY_i/dX_i,
/// with m the batch size. The "(X_i − m)" is transcribed as written: it comes from the derivation's slip
/// dμ/dX_i = X_i/m (it is 1/m), which turns μ into m. dβ = Σdout and dγ = Σdout·xhat are right.
/// Flawed: the derivative is wrong (m where μ belongs, the 1/σ direct term lost) and, being per-element,
/// it drops every cross-sample term of the Jacobian.
/// </summary>
public sealed class Seed003Derivation() : BatchNormBackward<double>(BackwardInfo.Flawed(
    "seed003-derivation", "seed 003, per-element closed form dY_i/dX_i",
    "per-element dY_i/dX_i with m (batch size) where μ belongs; cross-sample terms dropped", Family.Seed))
{
    /// <inheritdoc />
    protected override void Compute(BatchNormCache<double> cache, ReadOnlySpan<double> dout, Span<double> dx, Span<double> dgamma, Span<double> dbeta)
    {
        int N = cache.N, D = cache.D;
        double m = N;

        // dβ = Σ dL/dY_i ; dγ = Σ dL/dY_i · X̂_i
        dbeta.Clear();
        dgamma.Clear();
        for (int k = 0; k < N * D; k++)
        {
            dbeta[k % D] += dout[k];
            dgamma[k % D] += dout[k] * cache.Xhat[k];
        }

        // dY_i/dX_i = γ·(1 − m(σ²+ε)) / (m²·(σ²+ε)^(3/2)) · (X_i − m), applied to each element
        for (int k = 0; k < N * D; k++)
        {
            int j = k % D;
            double varEps = cache.Var[j] + cache.Eps;
            double dYdX = cache.Gamma[j] * (1 - m * varEps) / (m * m * Math.Pow(varEps, 1.5)) * (cache.X[k] - m);
            dx[k] = dout[k] * dYdX;
        }
    }
}
