using BnVerify.Implementations;
using BnVerify.Doctor;

namespace BnVerify.Mutants;

/// <summary>
/// Mutant of <see cref="AltSimplified"/> with a small-scale error. Planted in dx: every element is multiplied by
/// 1 + 1e-7 (an approximate constant, a float32 literal widened): far below any usual rtol, a million times the
/// float64 rounding the checker allows.
/// Expected diagnosis: dx WrongScale, with the factor printed as 1 + 1.0e-7.
/// </summary>
public sealed class MutantDxScaleTiny() : DxMutant(
    "mutant-dx-scale-1e-7", "dx is scaled by 1 + 1e-7", FindingKind.WrongScale, "small scale")
{
    /// <inheritdoc />
    protected override double Dx(DxTerms t) => t.Exact * (1 + 1e-7); // mutation
}
