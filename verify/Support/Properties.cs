using BnVerify.Cases;
using BnVerify.Checking;
using FsCheck;
using FsCheck.Fluent;

namespace BnVerify.Verify.Support;

/// <summary>
/// Property-test plumbing shared by the tests. The implementation properties draw their problems from the library's
/// <see cref="ProblemSource"/>, as <c>check</c> does: every scheduled edge and boundary shape first (N = 1, 2, 3, D = 1,
/// one below/at/above the powers of two up to 4096 rows and 1025 columns; check's one 2048×1024 case is left to check and
/// to the no-false-alarm test), then random shapes; the first failing case is shrunk with <see cref="ProblemShrinker.Minimize"/>, as <c>check</c> does, and
/// returned with the seed to replay it. The checker's own properties (<c>CheckerTests</c>) keep FsCheck's random
/// arbitrary (<see cref="Problems"/>).
/// </summary>
public static class Properties
{
    /// <summary>The seed of every property run unless BNVERIFY_SEED says otherwise (CoverageTests pin what it draws).</summary>
    public const int DefaultSeed = 20261201;

    /// <summary>Seed of every property run; set BNVERIFY_SEED to replay or to explore other seeds.</summary>
    public static int Seed { get; } =
        int.TryParse(Environment.GetEnvironmentVariable("BNVERIFY_SEED"), out var s) && s >= 0 ? s : DefaultSeed;

    /// <summary>
    /// The scheduled edge and boundary shapes (<see cref="ShapeSchedule.Boundaries"/>: check's schedule without its one
    /// 2048×1024 case, which costs ~1.5 s per implementation here and is covered by check and the no-false-alarm test),
    /// then random shapes from <paramref name="range"/> (default <see cref="GeneratorRange.Default"/>).
    /// </summary>
    public static ProblemSource Source(GeneratorRange? range = null) => new(range ?? GeneratorRange.Default, ShapeSchedule.Boundaries);

    /// <summary>FsCheck's arbitrary for random problems from <paramref name="range"/>, shrinking with <see cref="ProblemShrinker"/> (the checker's own properties).</summary>
    public static Arbitrary<BatchNormProblem> Problems(GeneratorRange? range = null) =>
        Arb.From(
            Gen.Choose(0, int.MaxValue).Select(seed => ProblemGenerator.Generate(new Random(seed), range)),
            ProblemShrinker.Shrink);

    /// <summary>
    /// Runs <paramref name="property"/> on every case of <paramref name="source"/> (default <see cref="Source"/>)
    /// for a run of <paramref name="randomCases"/> random cases: the scheduled shapes, then the random ones, in order.
    /// Returns null when it held for all; otherwise the first failing case shrunk, with a message naming the case,
    /// its shape class and the replay seed. An exception thrown by the property counts as a failure.
    /// </summary>
    public static Falsified? Run(Func<BatchNormProblem, bool> property, int randomCases, ProblemSource? source = null, int? seed = null)
    {
        ArgumentNullException.ThrowIfNull(property);
        source ??= Source();
        int s = seed ?? Seed;
        string? thrown = null;
        bool Fails(BatchNormProblem p)
        {
            try
            {
                return !property(p);
            }
            catch (Exception e)
            {
                thrown ??= $"{e.GetType().Name}: {e.Message}";
                return true;
            }
        }
        int count = source.Count(randomCases);
        for (int i = 0; i < count; i++)
        {
            var problem = source.Case(s, i);
            if (!Fails(problem)) continue;
            var shrunk = ProblemShrinker.Minimize(problem, Fails);
            return new Falsified(shrunk, problem, i,
                $"falsified by case {i} of {count} ({source.ClassOf(i)} shape {problem.N}×{problem.D}), shrunk to {shrunk.N}×{shrunk.D}" +
                (thrown is null ? "" : $"; the property threw {thrown}") +
                $"\nreplay: BNVERIFY_SEED={s} dotnet test");
        }
        return null;
    }

    /// <summary>The problem as a case file, ready to paste into a file and run through <c>cases</c>.</summary>
    public static string Show(BatchNormProblem p) => CaseWriter.ToJson("counterexample", "property test, shrunk", p);
}

/// <summary>A property failed: the shrunk counterexample, the case it was shrunk from, that case's index, and a message with the replay seed.</summary>
public sealed record Falsified(BatchNormProblem Counterexample, BatchNormProblem Original, int Index, string Message);

/// <summary>The arbitrary FsCheck.Xunit's <c>[Property(Arbitrary = …)]</c> uses for <see cref="BatchNormProblem"/> parameters.</summary>
public static class ProblemArbitrary
{
    /// <summary>Problems from the default range, with the library's shrinker.</summary>
    public static Arbitrary<BatchNormProblem> Problems() => Properties.Problems();
}
