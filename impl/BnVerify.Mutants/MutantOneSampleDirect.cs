using BnVerify.Implementations;
using BnVerify.Doctor;

namespace BnVerify.Mutants;

/// <summary>
/// Mutant of <see cref="AltSimplified"/> with an edge-shape bug. Planted in dx, at N = 1 only: a "single sample has no
/// batch statistics" shortcut returns dx = gamma·invStd·dout, where the exact dx is 0 (with one sample, x − mean = 0
/// whatever x is). Every N ≥ 2 is right.
/// Expected diagnosis: dx Localized (only at N = 1).
/// </summary>
public sealed class MutantOneSampleDirect() : DxMutant(
    "mutant-one-sample-direct", "at N = 1 dx is gamma·invStd·dout instead of 0", FindingKind.Localized, "edge shape")
{
    /// <inheritdoc />
    protected override double Dx(DxTerms t) =>
        // mutation: a shortcut for one sample that skips the cross-sample terms (which cancel the direct term exactly).
        t.N == 1 ? t.Gamma * t.InvStd * t.Dout : t.Exact;
}
