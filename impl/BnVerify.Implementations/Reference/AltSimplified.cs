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
        ColumnSums(dout, cache.Xhat, dbeta, dgamma);
        Dx(dout, cache.Xhat, cache.Gamma, cache.InvStd, dbeta, dgamma, dx);
    }

    /// <summary>
    /// Pass 1, the column sums: dbeta = Σdout and dgamma = Σdout·xhat (so Σdxhat = gamma·dbeta and
    /// Σdxhat·xhat = gamma·dgamma). Shared with the mutants, which change one step and keep the rest.
    /// </summary>
    public static void ColumnSums(ReadOnlySpan<double> dout, ReadOnlySpan<double> xhat, Span<double> dbeta, Span<double> dgamma)
    {
        int D = dbeta.Length, N = dout.Length / D;
        dbeta.Clear();
        dgamma.Clear();
        for (int i = 0; i < N; i++)
            for (int j = 0; j < D; j++)
            {
                dbeta[j] += dout[i * D + j];
                dgamma[j] += dout[i * D + j] * xhat[i * D + j];
            }
    }

    /// <summary>Pass 2: dx = (gamma·invStd/N)·(N·dout − Σdout − xhat·Σ(dout·xhat)), from the column sums of pass 1.</summary>
    public static void Dx(ReadOnlySpan<double> dout, ReadOnlySpan<double> xhat, ReadOnlySpan<double> gamma, ReadOnlySpan<double> invStd,
        ReadOnlySpan<double> dbeta, ReadOnlySpan<double> dgamma, Span<double> dx)
    {
        int D = gamma.Length, N = dout.Length / D;
        for (int i = 0; i < N; i++)
            for (int j = 0; j < D; j++)
            {
                int k = i * D + j;
                dx[k] = gamma[j] * invStd[j] / N * (N * dout[k] - dbeta[j] - xhat[k] * dgamma[j]);
            }
    }
}
