using BnVerify.Implementations;
using BnVerify.Doctor;

namespace BnVerify.Mutants;

/// <summary>
/// Mutant of <see cref="AltSimplified"/>. Planted in dgamma: sums dout·(x − mean) where dout·xhat = dout·(x − mean)·invStd belongs: the factor invStd is missing.
/// Expected diagnosis: dgamma DgammaMissingInvStd.
/// </summary>
public sealed class MutantDgammaNoInvStd() : PlantedMutant("mutant-dgamma-no-invstd", "dgamma sums dout·(x − mean): invStd missing", GradientName.Dgamma, FindingKind.DgammaMissingInvStd)
{
    /// <inheritdoc />
    protected override void Compute(BatchNormCache<double> cache, ReadOnlySpan<double> dout, Span<double> dx, Span<double> dgamma, Span<double> dbeta)
    {
        // dx keeps its own, right, Σ(dout·xhat); only the dgamma that is returned is wrong.
        AltSimplified.ColumnSums(dout, cache.Xhat, dbeta, dgamma);
        AltSimplified.Dx(dout, cache.Xhat, cache.Gamma, cache.InvStd, dbeta, dgamma, dx);

        int N = cache.N, D = cache.D;
        dgamma.Clear();
        for (int i = 0; i < N; i++)
            for (int j = 0; j < D; j++)
            {
                int k = i * D + j;
                dgamma[j] += dout[k] * (cache.X[k] - cache.Mean[j]); // mutation: invStd missing
            }
    }
}
