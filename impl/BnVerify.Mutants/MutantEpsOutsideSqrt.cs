using BnVerify.Implementations;
using BnVerify.Doctor;

namespace BnVerify.Mutants;

/// <summary>
/// Mutant of <see cref="AltSimplified"/>. Planted in dx: the prefactor's invStd is recomputed as 1/(sqrt(var) + eps) instead of 1/sqrt(var + eps).
/// Expected diagnosis: dx EpsOutsideSqrt.
/// </summary>
public sealed class MutantEpsOutsideSqrt() : InvStdMutant("mutant-eps-outside-sqrt", "dx's invStd adds eps outside the square root", FindingKind.EpsOutsideSqrt)
{
    /// <inheritdoc />
    protected override double InvStd(double var, double eps) => 1.0 / (Math.Sqrt(var) + eps); // mutation: eps outside the sqrt
}
