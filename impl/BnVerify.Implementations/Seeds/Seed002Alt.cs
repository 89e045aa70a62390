namespace BnVerify.Implementations;

/// <summary>
/// Seed 002, cs231n assignment 2 <c>batchnorm_backward_alt</c>, verbatim:
/// dx = (1/N)·sample_std_inv·(N·dx_normalized − Σdx_normalized·x_normalized − Σdx_normalized).
/// Flawed: the variance-path term multiplies xhat by Σdxhat where it needs Σ(dxhat·xhat)
/// (the right form is xhat·Σ(dxhat·xhat)). dgamma and dbeta are right (the document keeps dims [1, D]; here length D).
/// </summary>
public sealed class Seed002Alt() : BatchNormBackward<double>(BackwardInfo.Flawed(
    "seed002-alt", "seed 002, batchnorm_backward_alt (cs231n assignment 2)",
    "uses Σdxhat·xhat where xhat·Σ(dxhat·xhat) belongs", Family.Seed))
{
    /// <inheritdoc />
    protected override void Compute(BatchNormCache<double> cache, ReadOnlySpan<double> dout, Span<double> dx, Span<double> dgamma, Span<double> dbeta)
    {
        int N = cache.N, D = cache.D;
        var x_normalized = cache.Xhat;
        var gamma = cache.Gamma;

        // dx_normalized = dout * gamma; sample_std_inv = 1.0 / np.sqrt(sample_var + eps)
        var dx_normalized = new double[N * D];
        for (int k = 0; k < N * D; k++) dx_normalized[k] = dout[k] * gamma[k % D];
        var sample_std_inv = new double[D];
        for (int j = 0; j < D; j++) sample_std_inv[j] = 1.0 / Math.Sqrt(cache.Var[j] + cache.Eps);

        // dgamma = np.sum(dout * x_normalized, axis=0); dbeta = np.sum(dout, axis=0)
        dgamma.Clear();
        dbeta.Clear();
        var sum_dx_normalized = new double[D];
        for (int k = 0; k < N * D; k++)
        {
            dgamma[k % D] += dout[k] * x_normalized[k];
            dbeta[k % D] += dout[k];
            sum_dx_normalized[k % D] += dx_normalized[k];
        }

        // dx = (1./N)*sample_std_inv*(N*dx_normalized - np.sum(dx_normalized)*x_normalized - np.sum(dx_normalized))
        for (int k = 0; k < N * D; k++)
        {
            int j = k % D;
            dx[k] = 1.0 / N * sample_std_inv[j] * (N * dx_normalized[k] - sum_dx_normalized[j] * x_normalized[k] - sum_dx_normalized[j]);
        }
    }
}
