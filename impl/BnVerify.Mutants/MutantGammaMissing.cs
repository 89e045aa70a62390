using BnVerify.Doctor;
using BnVerify.Implementations;

namespace BnVerify.Mutants;

/// <summary>
/// Mutant of <see cref="AltSimplified"/>. Planted in dx: gamma is left out of the prefactor (dxhat taken as dout instead of dout·gamma).
/// Expected diagnosis: dx GammaMissing.
/// </summary>
public sealed class MutantGammaMissing() : DxMutant("mutant-gamma-missing", "dx lacks the factor gamma", FindingKind.GammaMissing)
{
    /// <inheritdoc />
    protected override double Dx(DxTerms t) =>
        t.InvStd / t.N * (t.N * t.Dout - t.SumDout - t.Xhat * t.SumDoutXhat); // mutation: gamma dropped
}
