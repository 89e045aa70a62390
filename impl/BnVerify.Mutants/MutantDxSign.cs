using BnVerify.Doctor;
using BnVerify.Implementations;

namespace BnVerify.Mutants;

/// <summary>
/// Mutant of <see cref="AltSimplified"/>. Planted in dx: the whole dx is negated (the gradient of −L).
/// Expected diagnosis: dx SignFlipped.
/// </summary>
public sealed class MutantDxSign() : DxMutant("mutant-dx-sign", "dx has the wrong sign", FindingKind.SignFlipped)
{
    /// <inheritdoc />
    protected override double Dx(DxTerms t) =>
        -t.Gamma * t.InvStd / t.N * (t.N * t.Dout - t.SumDout - t.Xhat * t.SumDoutXhat); // mutation: leading minus
}
