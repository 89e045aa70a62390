using BnVerify.Doctor;
using BnVerify.Implementations;

namespace BnVerify.Mutants;

/// <summary>
/// Mutant of <see cref="AltSimplified"/>. Planted in dx: the variance-path term −xhat·Σ(dout·xhat) is dropped.
/// Expected diagnosis: dx VarianceTermMissing.
/// </summary>
public sealed class MutantDropVariance() : DxMutant("mutant-drop-variance", "dx lacks the variance-path term", FindingKind.VarianceTermMissing)
{
    /// <inheritdoc />
    protected override double Dx(DxTerms t) =>
        t.Gamma * t.InvStd / t.N * (t.N * t.Dout - t.SumDout); // mutation: − xhat·Σ(dout·xhat) dropped
}
