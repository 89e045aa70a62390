using System.Runtime.CompilerServices;
using BnVerify.Cases;
using BnVerify.Checking;
using FsCheck;
using FsCheck.Fluent;

namespace BnVerify.Verify.Support;

/// <summary>
/// Property-test plumbing shared by the tests. The implementation properties draw their problems from the library's
/// <see cref="ProblemSource"/>, as <c>check</c> does: every scheduled edge and boundary shape first (N = 1, 2, 3, D = 1,
/// one below/at/above the powers of two up to 4096 rows and 1025 columns; check's one 2048×1024 case is left to check and
/// to the no-false-alarm test), then random problems through FsCheck with the library's generator and shrinker
/// (<see cref="Problems"/>, also the arbitrary of the checker's own <c>[Property]</c> tests). A failure comes back shrunk,
/// with a command that replays that one test.
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
    /// Runs <paramref name="property"/> first on every scheduled shape of <paramref name="source"/> (default
    /// <see cref="Source"/>), in order, by design rather than by luck; then on <paramref name="randomCases"/> random
    /// problems from its range through FsCheck (<see cref="Problems"/>: the library's generator, and its shrinker as
    /// FsCheck's), replayable from the seed. Returns null when it held for all; otherwise the failing case shrunk (a
    /// scheduled one with <see cref="ProblemShrinker.Minimize"/>, as <c>check</c> does; a random one by FsCheck), with a
    /// message naming the case and a command that reruns only the calling test (<paramref name="test"/> in
    /// <paramref name="file"/>, and the theory's <paramref name="theoryCase"/> when given) with the same seed.
    /// An exception thrown by the property counts as a failure.
    /// </summary>
    public static Falsified? Run(Func<BatchNormProblem, bool> property, int randomCases, ProblemSource? source = null, int? seed = null,
        string? theoryCase = null, [CallerMemberName] string test = "", [CallerFilePath] string file = "")
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
        string Threw() => thrown is null ? "" : $"; the property threw {thrown}";
        string replay = $"\nreplay this test alone: {ReplayCommand(s, test, file, theoryCase)}";

        // 1. The scheduled shapes, smallest first.
        int scheduled = source.Schedule.Shapes.Count;
        for (int i = 0; i < scheduled; i++)
        {
            var problem = source.Case(s, i);
            if (!Fails(problem)) continue;
            var shrunk = ProblemShrinker.Minimize(problem, Fails);
            return new Falsified(shrunk, problem, i,
                $"falsified by scheduled case {i} of {scheduled} ({source.ClassOf(i)} shape {problem.ShapeText}), shrunk to {shrunk.ShapeText}{Threw()}{replay}");
        }

        // 2. Random problems through FsCheck, which shrinks the first failing one with the library's shrinker.
        BatchNormProblem? firstFailing = null, lastFailing = null;
        int tests = 0, shrinks = 0;
        var prop = Prop.ForAll(Problems(source.Range), p =>
        {
            if (firstFailing is null) tests++;
            else shrinks++;
            if (!Fails(p)) return true;
            firstFailing ??= p;
            lastFailing = p; // FsCheck's shrinking ends on the last failing candidate
            return false;
        });
        var config = Config.QuickThrowOnFailure.WithMaxTest(randomCases).WithQuietOnSuccess(true).WithReplay((ulong)s, Gamma);
        try
        {
            Check.One(config, prop);
            return null;
        }
        catch (Exception) when (lastFailing is not null)
        {
            return new Falsified(lastFailing, firstFailing!, scheduled + tests - 1,
                $"falsified by random case {tests} of {randomCases} ({firstFailing!.ShapeText}), after the {scheduled} scheduled shapes passed; " +
                $"shrunk by FsCheck in {shrinks} tries to {lastFailing.ShapeText}{Threw()}{replay}");
        }
    }

    /// <summary>The fixed odd gamma of FsCheck's splittable random generator (any odd number works).</summary>
    private const ulong Gamma = 0x9E3779B97F4A7C15UL;

    /// <summary>
    /// The command that reruns one test with <paramref name="seed"/>: <c>dotnet test</c> filtered to the test method
    /// (its class named like its file, as every test class here is) and, for a theory, to the one case.
    /// </summary>
    public static string ReplayCommand(int seed, string test, string file, string? theoryCase = null)
    {
        string type = $"{typeof(Properties).Namespace![..^".Support".Length]}.{Path.GetFileNameWithoutExtension(file)}";
        string filter = $"FullyQualifiedName~{type}.{test}" + (theoryCase is null ? "" : $"&DisplayName~{theoryCase}");
        return $"BNVERIFY_SEED={seed} dotnet test verify -c Release --filter '{filter}'";
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
