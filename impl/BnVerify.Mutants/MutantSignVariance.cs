using BnVerify.Doctor;
using BnVerify.Implementations;

namespace BnVerify.Mutants;

/// <summary>
/// Mutant of <see cref="AltSimplified"/>. Planted in dx: the variance-path term is added instead of subtracted (+xhat·Σ(dout·xhat)).
/// Expected diagnosis: dx SignFlipped.
/// </summary>
public sealed class MutantSignVariance() : DxMutant("mutant-sign-variance", "dx adds the variance-path term instead of subtracting it", FindingKind.SignFlipped)
{
    /// <inheritdoc />
    protected override double Dx(DxTerms t) =>
        t.Gamma * t.InvStd / t.N * (t.N * t.Dout - t.SumDout + t.Xhat * t.SumDoutXhat); // mutation: − xhat·Σ(dout·xhat) became +
}
