namespace BnVerify.Implementations;

/// <summary>
/// The correct closed form (what seed 002's <c>batchnorm_backward_alt</c> meant to be):
/// dxhat = dout·gamma, dx = (invStd/N)·(N·dxhat − Σdxhat − xhat·Σ(dxhat·xhat)),
/// which is dx = (gamma·invStd/N)·(N·dout − Σdout − xhat·Σ(dout·xhat)); dgamma = Σdout·xhat, dbeta = Σdout.
/// Written plainly in float64 with two passes over the data; the reference the fast kernels are compared with.
/// </summary>
public sealed class AltSimplified() : BatchNormBackward<double>(BackwardInfo.Correct(
    "alt-simplified", "this project: the correct closed form of seed 002's batchnorm_backward_alt", Family.Reference))
{
    /// <inheritdoc />
    protected override void Compute(BatchNormCache<double> cache, ReadOnlySpan<double> dout, Span<double> dx, Span<double> dgamma, Span<double> dbeta)
    {
        int N = cache.N, D = cache.D;
        var xhat = cache.Xhat;
        var gamma = cache.Gamma;
        var invStd = cache.InvStd;

        // Column sums: dbeta = Σdout, dgamma = Σdout·xhat (so Σdxhat = gamma·dbeta and Σdxhat·xhat = gamma·dgamma).
        dbeta.Clear();
        dgamma.Clear();
        for (int i = 0; i < N; i++)
            for (int j = 0; j < D; j++)
            {
                dbeta[j] += dout[i * D + j];
                dgamma[j] += dout[i * D + j] * xhat[i * D + j];
            }

        // dx = (gamma·invStd/N)·(N·dout − Σdout − xhat·Σ(dout·xhat))
        for (int i = 0; i < N; i++)
            for (int j = 0; j < D; j++)
            {
                int k = i * D + j;
                dx[k] = gamma[j] * invStd[j] / N * (N * dout[k] - dbeta[j] - xhat[k] * dgamma[j]);
            }
    }
}
