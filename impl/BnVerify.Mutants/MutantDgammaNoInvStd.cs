using BnVerify.Implementations;
using BnVerify.Doctor;

namespace BnVerify.Mutants;

/// <summary>
/// Mutant of <see cref="AltSimplified"/>. Planted in dgamma: sums dout·(x − mean) where dout·xhat = dout·(x − mean)·invStd belongs: the factor invStd is missing.
/// Expected diagnosis: dgamma DgammaMissingInvStd.
/// </summary>
public sealed class MutantDgammaNoInvStd() : ReturnedSumsMutant("mutant-dgamma-no-invstd", "dgamma sums dout·(x − mean): invStd missing", GradientName.Dgamma, FindingKind.DgammaMissingInvStd)
{
    /// <inheritdoc />
    protected override void Replant(BatchNormCache<double> cache, ReadOnlySpan<double> dout, Span<double> dgamma, Span<double> dbeta)
    {
        dgamma.Clear();
        for (int k = 0; k < cache.N * cache.D; k++)
            dgamma[k % cache.D] += dout[k] * (cache.X[k] - cache.Mean[k % cache.D]); // mutation: invStd missing
    }
}
