using BnVerify.Implementations;
using BnVerify.Doctor;

namespace BnVerify.Mutants;

/// <summary>
/// Mutant of <see cref="AltSimplified"/>. Planted in dx: the prefactor's invStd is recomputed with eps = 1e-4 (hard-coded) instead of the forward's eps.
/// Expected diagnosis: dx EpsMismatch.
/// </summary>
public sealed class MutantEpsMismatch() : InvStdMutant("mutant-eps-mismatch", "dx's invStd uses eps = 1e-4 instead of the forward's eps", FindingKind.EpsMismatch)
{
    /// <inheritdoc />
    protected override double InvStd(double var, double eps) => 1.0 / Math.Sqrt(var + 1e-4); // mutation: 1e-4 where eps belongs
}
