namespace BnVerify;

/// <summary>What an implementation says about itself: correct, or flawed for a stated reason.</summary>
public enum Verdict
{
    /// <summary>The implementation claims to compute the exact gradient (up to rounding).</summary>
    Correct,

    /// <summary>The implementation is known to be wrong; the harness must catch it.</summary>
    Flawed,
}

/// <summary>Which family an implementation belongs to; the benchmarks skip <see cref="Mutant"/> by default.</summary>
public enum Family
{
    /// <summary>Transcribed from one of the source documents in <c>shared/seeds</c>.</summary>
    Seed,

    /// <summary>A reference formula written by this project.</summary>
    Reference,

    /// <summary>A fast kernel (SIMD, float32, multi-core) written by this project.</summary>
    Fast,

    /// <summary>A small planted mistake in a correct implementation, used to measure the checker's power.</summary>
    Mutant,

    /// <summary>Code BnVerify did not write: a user's class or delegate, another assembly's implementation, another process.</summary>
    External,

    /// <summary>Another library's backward (oneDNN), wrapped in the bench assembly to be checked and timed beside ours; never discovered: it lives in the program, not in a scanned assembly.</summary>
    Peer,
}

/// <summary>
/// The metadata every backward implementation carries: a stable <paramref name="Id"/>, where it comes from,
/// and the verdict it declares about itself (with a one-line reason when flawed).
/// </summary>
/// <param name="Id">Stable id, e.g. <c>seed002-alt</c>; used on the command line and in reports.</param>
/// <param name="Source">Document and section it is transcribed from, or "this project".</param>
/// <param name="Declared">The verdict it declares.</param>
/// <param name="FlawReason">One line saying what is wrong; null when <paramref name="Declared"/> is <see cref="Verdict.Correct"/>.</param>
/// <param name="Family">Seed, reference, fast, mutant or peer.</param>
public sealed record BackwardInfo(string Id, string Source, Verdict Declared, string? FlawReason, Family Family)
{
    /// <summary>Metadata of an implementation that declares itself correct.</summary>
    public static BackwardInfo Correct(string id, string source, Family family) =>
        new(id, source, Verdict.Correct, null, family);

    /// <summary>Metadata of an implementation that declares itself flawed, with the reason.</summary>
    public static BackwardInfo Flawed(string id, string source, string reason, Family family) =>
        new(id, source, Verdict.Flawed, reason, family);

    /// <summary>"correct" or "flawed", as written in reports and JSON.</summary>
    public string DeclaredText => Declared == Verdict.Correct ? "correct" : "flawed";
}
