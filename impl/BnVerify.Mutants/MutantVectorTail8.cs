using BnVerify.Implementations;
using BnVerify.Doctor;

namespace BnVerify.Mutants;

/// <summary>
/// Mutant of <see cref="AltSimplified"/> with a shape-boundary bug, as in a vector kernel of width 8. Planted in dx:
/// for D &gt; 8 the columns are processed 8 at a time and the scalar loop over the tail (columns 8·⌊D/8⌋ .. D − 1)
/// leaves out the variance-path term; D ≤ 8 takes a plain (right) loop. Right whenever D ≤ 8 or D is a multiple of 8;
/// the smallest failing D is 9.
/// Expected diagnosis: dx Localized (only the tail columns past the last multiple of 8).
/// </summary>
public sealed class MutantVectorTail8() : DxMutant(
    "mutant-vector-tail8", "for D > 8 the tail columns past the last multiple of 8 lack the variance-path term", FindingKind.Localized, "shape boundary")
{
    private const int Width = 8;

    /// <inheritdoc />
    protected override double Dx(DxTerms t) =>
        t.D > Width && t.Column >= t.D / Width * Width
            ? t.Gamma * t.InvStd / t.N * (t.N * t.Dout - t.SumDout) // the scalar tail; mutation: − xhat·Σ(dout·xhat) left out
            : t.Exact; // D ≤ 8, or the vector body
}
