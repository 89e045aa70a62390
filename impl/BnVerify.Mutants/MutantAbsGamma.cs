using BnVerify.Implementations;
using BnVerify.Doctor;

namespace BnVerify.Mutants;

/// <summary>
/// Mutant of <see cref="AltSimplified"/> with a gamma-sign bug. Planted in dx: the prefactor uses |gamma| where gamma
/// belongs, so dx has the wrong sign in exactly the columns where gamma &lt; 0 and is right elsewhere.
/// Expected diagnosis: dx GammaSign.
/// </summary>
public sealed class MutantAbsGamma() : DxMutant(
    "mutant-abs-gamma", "dx uses |gamma| where gamma belongs", FindingKind.GammaSign, "gamma sign")
{
    /// <inheritdoc />
    protected override double Dx(DxTerms t) => (t with { Gamma = Math.Abs(t.Gamma) }).Exact; // mutation: |gamma| where gamma belongs
}
