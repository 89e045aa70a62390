using BnVerify.Cases;
using BnVerify.Checking;
using FsCheck;
using FsCheck.Fluent;

namespace BnVerify.Verify.Support;

/// <summary>
/// FsCheck plumbing shared by the property tests: the arbitrary for problems (the library's generator and shrinker,
/// so tests and the command line shrink alike), and a runner that returns the shrunk counterexample instead of
/// only throwing, with a replay seed.
/// </summary>
public static class Properties
{
    /// <summary>Seed of every property run; set BNVERIFY_SEED to replay or to explore other seeds.</summary>
    public static ulong Seed { get; } =
        ulong.TryParse(Environment.GetEnvironmentVariable("BNVERIFY_SEED"), out var s) ? s : 20261201UL;

    /// <summary>Problems from <paramref name="range"/>, shrinking with <see cref="ProblemShrinker"/>.</summary>
    public static Arbitrary<BatchNormProblem> Problems(GeneratorRange? range = null) =>
        Arb.From(
            Gen.Choose(0, int.MaxValue).Select(seed => ProblemGenerator.Generate(new Random(seed), range)),
            ProblemShrinker.Shrink);

    /// <summary>
    /// Runs <paramref name="property"/> on <paramref name="cases"/> generated problems. Returns null when it held for all,
    /// otherwise the shrunk counterexample (the last problem on which it failed, which is where FsCheck's shrinking ends)
    /// and FsCheck's message, with the replay seed.
    /// </summary>
    public static Falsified? Run(Func<BatchNormProblem, bool> property, int cases, Arbitrary<BatchNormProblem>? problems = null, ulong? seed = null)
    {
        BatchNormProblem? lastFailing = null;
        int failures = 0;
        var prop = Prop.ForAll(problems ?? Problems(), p =>
        {
            bool holds = property(p);
            if (!holds)
            {
                lastFailing = p;
                failures++;
            }
            return holds;
        });
        ulong s = seed ?? Seed;
        var config = Config.QuickThrowOnFailure.WithMaxTest(cases).WithQuietOnSuccess(true).WithReplay(s, Gamma);
        try
        {
            Check.One(config, prop);
            return null;
        }
        catch (Exception e) when (lastFailing is not null)
        {
            return new Falsified(lastFailing, $"{e.Message}\nreplay: BNVERIFY_SEED={s} dotnet test");
        }
    }

    /// <summary>The fixed odd gamma of FsCheck's splittable random generator (any odd number works).</summary>
    private const ulong Gamma = 0x9E3779B97F4A7C15UL;

    /// <summary>The problem as a case file, ready to paste into a file and run through <c>cases</c>.</summary>
    public static string Show(BatchNormProblem p) => CaseWriter.ToJson("counterexample", "FsCheck shrink", p);
}

/// <summary>A property failed: the shrunk counterexample and FsCheck's message (with the replay seed).</summary>
public sealed record Falsified(BatchNormProblem Counterexample, string Message);

/// <summary>The arbitrary FsCheck.Xunit's <c>[Property(Arbitrary = …)]</c> uses for <see cref="BatchNormProblem"/> parameters.</summary>
public static class ProblemArbitrary
{
    /// <summary>Problems from the default range, with the library's shrinker.</summary>
    public static Arbitrary<BatchNormProblem> Problems() => Properties.Problems();
}
