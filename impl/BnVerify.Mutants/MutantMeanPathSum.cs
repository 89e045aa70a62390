using BnVerify.Doctor;
using BnVerify.Implementations;

namespace BnVerify.Mutants;

/// <summary>
/// Mutant of <see cref="AltSimplified"/>. Planted in dx: the mean path subtracts Σdout where mean(dout) belongs (the 1/N of the mean is lost: N·Σdout inside the bracket).
/// Expected diagnosis: dx TermScaled.
/// </summary>
public sealed class MutantMeanPathSum() : DxMutant("mutant-mean-path-sum", "dx's mean path is N times too large (Σdout where mean(dout) belongs)", FindingKind.TermScaled)
{
    /// <inheritdoc />
    protected override double Dx(DxTerms t) =>
        t.Gamma * t.InvStd / t.N * (t.N * t.Dout - t.N * t.SumDout - t.Xhat * t.SumDoutXhat); // mutation: Σdout became N·Σdout
}
