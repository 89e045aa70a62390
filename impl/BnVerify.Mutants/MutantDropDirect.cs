using BnVerify.Doctor;
using BnVerify.Implementations;

namespace BnVerify.Mutants;

/// <summary>
/// Mutant of <see cref="AltSimplified"/>. Planted in dx: the direct term N·dout is dropped from (gamma·invStd/N)·(N·dout − Σdout − xhat·Σ(dout·xhat)).
/// Expected diagnosis: dx DirectTermMissing.
/// </summary>
public sealed class MutantDropDirect() : DxMutant("mutant-drop-direct", "dx lacks the direct term gamma·invStd·dout", FindingKind.DirectTermMissing)
{
    /// <inheritdoc />
    protected override double Dx(DxTerms t) =>
        t.Gamma * t.InvStd / t.N * (-t.SumDout - t.Xhat * t.SumDoutXhat); // mutation: N·dout dropped
}
