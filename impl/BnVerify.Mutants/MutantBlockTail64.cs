using BnVerify.Implementations;
using BnVerify.Doctor;

namespace BnVerify.Mutants;

/// <summary>
/// Mutant of <see cref="AltSimplified"/> with a shape-boundary bug, as in a blocked kernel. Planted in dx: pass 2 runs
/// over blocks of 64 rows and counts N / 64 blocks once N ≥ 64, so the last partial block (rows 64·⌊N/64⌋ .. N − 1) is
/// never written. Right for N ≤ 64 and for every multiple of 64; the smallest failing N is 65.
/// Expected diagnosis: dx Localized (only rows past the last full block of 64).
/// </summary>
public sealed class MutantBlockTail64() : DxMutant(
    "mutant-block64-tail", "dx drops the last partial block of 64 rows when N > 64", FindingKind.Localized, "shape boundary")
{
    private const int Block = 64;

    /// <inheritdoc />
    protected override double Dx(DxTerms t)
    {
        int blocks = t.N < Block ? 1 : t.N / Block; // mutation: (N + Block − 1) / Block belongs
        return t.Row < blocks * Block ? t.Exact : 0; // rows of the missing block are left at 0
    }
}
