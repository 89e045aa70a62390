using BnVerify.Doctor;
using BnVerify.Implementations;

namespace BnVerify.Mutants;

/// <summary>
/// Mutant of <see cref="AltSimplified"/>. Planted in dx: the mean-path term −Σdout is dropped.
/// Expected diagnosis: dx MeanPathMissing.
/// </summary>
public sealed class MutantDropMean() : DxMutant("mutant-drop-mean", "dx lacks the mean-path term", FindingKind.MeanPathMissing)
{
    /// <inheritdoc />
    protected override double Dx(DxTerms t) =>
        t.Gamma * t.InvStd / t.N * (t.N * t.Dout - t.Xhat * t.SumDoutXhat); // mutation: − Σdout dropped
}
