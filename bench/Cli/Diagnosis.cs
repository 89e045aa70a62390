using BnVerify.Doctor;

namespace BnVerify.Bench.Cli;

/// <summary>
/// The "diagnosis" column of <c>check</c>: one sentence on what a failing implementation got wrong in its derivation,
/// from the derivation doctor (<see cref="DerivationDoctor.Sentence"/>), computed from the measured error only.
/// </summary>
internal static class Diagnosis
{
    /// <summary>A sentence explaining <paramref name="failing"/>, or "" when there is nothing to say.</summary>
    public static string Diagnose(IBatchNormBackward impl, BnVerify.Checking.CheckResult failing)
    {
        ArgumentNullException.ThrowIfNull(impl);
        ArgumentNullException.ThrowIfNull(failing);
        return DerivationDoctor.Sentence(impl, failing);
    }
}
