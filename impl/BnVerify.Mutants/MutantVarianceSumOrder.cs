using BnVerify.Doctor;
using BnVerify.Implementations;

namespace BnVerify.Mutants;

/// <summary>
/// Mutant of <see cref="AltSimplified"/>. Planted in dx: the variance path is read as Σdout·xhat, i.e. xhat·Σdout, where xhat·Σ(dout·xhat) belongs (the seed 002 slip).
/// Expected diagnosis: dx VarianceCoefficientUsesSumG.
/// </summary>
public sealed class MutantVarianceSumOrder() : DxMutant("mutant-variance-sum-order", "dx's variance path uses xhat·Σdout where xhat·Σ(dout·xhat) belongs", FindingKind.VarianceCoefficientUsesSumG)
{
    /// <inheritdoc />
    protected override double Dx(DxTerms t) =>
        t.Gamma * t.InvStd / t.N * (t.N * t.Dout - t.SumDout - t.Xhat * t.SumDout); // mutation: Σ(dout·xhat) became Σdout in the variance path
}
