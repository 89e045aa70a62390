namespace BnVerify.Bench.Cli;

/// <summary>
/// The "diagnosis" column of <c>check</c>: one sentence on what a failing implementation got wrong in its derivation.
/// PLACEHOLDER on the <c>cli</c> branch: the derivation doctor (another branch) replaces this file at merge.
/// </summary>
internal static class Diagnosis
{
    /// <summary>A sentence explaining <paramref name="failing"/>, or "" when there is nothing to say.</summary>
    public static string Diagnose(IBatchNormBackward impl, BnVerify.Checking.CheckResult failing)
    {
        ArgumentNullException.ThrowIfNull(impl);
        ArgumentNullException.ThrowIfNull(failing);
        return "";
    }
}
