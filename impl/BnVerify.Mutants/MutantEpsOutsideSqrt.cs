using BnVerify.Implementations;
using BnVerify.Doctor;

namespace BnVerify.Mutants;

/// <summary>
/// Mutant of <see cref="AltSimplified"/>. Planted in dx: the prefactor's invStd is recomputed as 1/(sqrt(var) + eps) instead of 1/sqrt(var + eps).
/// Expected diagnosis: dx EpsOutsideSqrt.
/// </summary>
public sealed class MutantEpsOutsideSqrt() : PlantedMutant("mutant-eps-outside-sqrt", "dx's invStd adds eps outside the square root", GradientName.Dx, FindingKind.EpsOutsideSqrt)
{
    /// <inheritdoc />
    protected override void Compute(BatchNormCache<double> cache, ReadOnlySpan<double> dout, Span<double> dx, Span<double> dgamma, Span<double> dbeta)
    {
        int N = cache.N, D = cache.D;
        var xhat = cache.Xhat;
        var gamma = cache.Gamma;
        var invStd = new double[D];
        for (int j = 0; j < D; j++) invStd[j] = 1.0 / (Math.Sqrt(cache.Var[j]) + cache.Eps); // mutation: eps outside the sqrt

        AltSimplified.ColumnSums(dout, xhat, dbeta, dgamma);
        AltSimplified.Dx(dout, xhat, gamma, invStd, dbeta, dgamma, dx);
    }
}
