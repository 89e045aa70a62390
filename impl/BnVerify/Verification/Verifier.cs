using BnVerify.Cases;
using BnVerify.Checking;
using BnVerify.Doctor;

namespace BnVerify.Verification;

/// <summary>One problem the verifier checks: random (from a seed and an index) or given (a case file, a fixed set).</summary>
/// <param name="Name">"case 17" for a generated case ("case 3 (scheduled edge shape)" for one of the schedule's shapes), the case's name otherwise.</param>
/// <param name="Problem">The problem.</param>
/// <param name="Expected">Stored expected gradients (a golden case's), or null to use the numerical oracles.</param>
/// <param name="Index">The generated case's index under the run's seed; −1 for a given case.</param>
/// <param name="Scheduled">True for a case whose shape comes from the source's <see cref="ShapeSchedule"/> (its values are still drawn from the seed).</param>
public sealed record VerificationCase(string Name, BatchNormProblem Problem, Gradients? Expected = null, int Index = -1, bool Scheduled = false)
{
    /// <summary>Case <paramref name="index"/> of <paramref name="seed"/> from <paramref name="source"/>, named by its index (and its scheduled shape's class).</summary>
    public static VerificationCase Generated(ProblemSource source, int seed, int index)
    {
        ArgumentNullException.ThrowIfNull(source);
        string? scheduled = source.ClassOf(index) switch
        {
            ShapeClass.Random => null,
            ShapeClass.Edge => "edge shape",
            ShapeClass.RowBoundary => "row boundary",
            ShapeClass.ColumnBoundary => "column boundary",
            ShapeClass.BothBoundary => "boundary on both axes",
            ShapeClass.Scale => "shape at scale",
            var other => other.ToString(),
        };
        var problem = source.Case(seed, index);
        return new VerificationCase(scheduled is null ? $"case {index}" : $"case {index} (scheduled {scheduled})", problem, null, index, scheduled is not null);
    }

    /// <summary>A case file as a verification case.</summary>
    public static VerificationCase From(CaseFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        return new VerificationCase(file.Name, file.Problem, file.Expected);
    }
}

/// <summary>
/// What the verifier checks and how. Everything is passed in; nothing is process-wide, so runs can go side by side.
/// </summary>
public sealed record VerifierOptions
{
    /// <summary>Seed of the run when none is given: fixed, so a test that calls the verifier is deterministic.</summary>
    public const int DefaultSeed = 20261202;

    /// <summary>
    /// The defaults: the scheduled edge and boundary shapes and 200 random cases from <see cref="ProblemSource.Default"/>
    /// with seed <see cref="DefaultSeed"/>, plus the golden cases, shrinking and diagnosis on.
    /// </summary>
    public static VerifierOptions Default { get; } = new();

    /// <summary>
    /// Random cases per implementation, checked after the <see cref="Source"/>'s scheduled shapes (<see cref="ProblemSource.Count"/>).
    /// For the given cases alone, set 0 with <see cref="ProblemSource.RandomOnly"/>.
    /// </summary>
    public int Cases { get; init; } = 200;

    /// <summary>Seed of the random cases (printed with every failure, to replay it).</summary>
    public int Seed { get; init; } = DefaultSeed;

    /// <summary>Where generated cases come from: its scheduled shapes, then <see cref="Cases"/> random ones.</summary>
    public ProblemSource Source { get; init; } = ProblemSource.Default;

    /// <summary>
    /// Given cases checked after the random ones (default: the PyTorch golden cases, N×D and N×C×H×W, <see cref="GoldenCases.All"/>;
    /// every implementation runs every case, in its own memory order).
    /// </summary>
    public IReadOnlyList<VerificationCase> Given { get; init; } = GoldenCases.All.Select(VerificationCase.From).ToList();

    /// <summary>How each check is done (oracles, probes, the per-call time limit).</summary>
    public CheckOptions Check { get; init; } = CheckOptions.Default;

    /// <summary>Shrink the first failing case of a flawed implementation to a small counterexample.</summary>
    public bool Shrink { get; init; } = true;

    /// <summary>Have the derivation doctor say what is wrong with a flawed implementation.</summary>
    public bool Diagnose { get; init; } = true;

    /// <summary>Keep every case's full <see cref="CheckResult"/> (gradients included); otherwise only the first failing one's.</summary>
    public bool KeepResults { get; init; }

    /// <summary>Cases checked at once.</summary>
    public int MaxParallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        if (Cases < 0) throw new ArgumentOutOfRangeException(nameof(Cases), Cases, "must be ≥ 0");
        if (Seed < 0) throw new ArgumentOutOfRangeException(nameof(Seed), Seed, "must be ≥ 0");
        if (MaxParallelism < 1) throw new ArgumentOutOfRangeException(nameof(MaxParallelism), MaxParallelism, "must be ≥ 1");
        if (Check.CallTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(Check), Check.CallTimeout, "the call time limit must be > 0");
        if (!(Check.AllowanceScale > 0 && double.IsFinite(Check.AllowanceScale)))
            throw new ArgumentOutOfRangeException(nameof(Check), Check.AllowanceScale, "the allowance scale must be a finite number > 0");
        ArgumentNullException.ThrowIfNull(Source);
        ArgumentNullException.ThrowIfNull(Given);
        Source.Range.Validate();
    }
}

/// <summary>One implementation on one case: passed or not, the largest error per gradient, and why it failed.</summary>
/// <param name="Case">The case.</param>
/// <param name="Pass">True when every check passed.</param>
/// <param name="Oracle">The oracles that judged it, e.g. "finite differences".</param>
/// <param name="MaxErrors">Largest error of dx, dgamma and dbeta in their natural units; null where a gradient was only probed.</param>
/// <param name="Summary">"pass", or the failing gradient, element, error and bound (or what the implementation did instead of answering).</param>
/// <param name="Result">The full check result, when kept (<see cref="VerifierOptions.KeepResults"/>, a call that failed, or the first failure).</param>
public sealed record CaseOutcome(VerificationCase Case, bool Pass, string Oracle, IReadOnlyList<double?> MaxErrors, string Summary, CheckResult? Result);

/// <summary>What the verifier found about one implementation.</summary>
public sealed class VerificationReport
{
    internal VerificationReport(IBatchNormBackward implementation, IReadOnlyList<CaseOutcome> cases, int seed, VerifierOptions options,
        CaseOutcome? firstFailure, CheckResult? shrunk, string? diagnosis)
    {
        Implementation = implementation;
        Cases = cases;
        Seed = seed;
        Options = options;
        FirstFailure = firstFailure;
        Shrunk = shrunk;
        Diagnosis = diagnosis;
    }

    /// <summary>The implementation.</summary>
    public IBatchNormBackward Implementation { get; }

    /// <summary>Its id.</summary>
    public string Id => Implementation.Info.Id;

    /// <summary>Every case, random ones first (by index), then the given ones.</summary>
    public IReadOnlyList<CaseOutcome> Cases { get; }

    /// <summary>The seed of the random cases.</summary>
    public int Seed { get; }

    /// <summary>The options of the run.</summary>
    public VerifierOptions Options { get; }

    /// <summary>How many cases failed.</summary>
    public int Failed => Cases.Count(c => !c.Pass);

    /// <summary>Correct when every case passed; flawed otherwise.</summary>
    public Verdict Found => Failed == 0 ? Verdict.Correct : Verdict.Flawed;

    /// <summary>True when <see cref="Found"/> equals the verdict the implementation declares.</summary>
    public bool MatchesDeclared => Found == Implementation.Info.Declared;

    /// <summary>The first failing case (random ones first), or null.</summary>
    public CaseOutcome? FirstFailure { get; }

    /// <summary>The check of the shrunk counterexample (the first failing case made as small and simple as it still fails), or null.</summary>
    public CheckResult? Shrunk { get; }

    /// <summary>The derivation doctor's sentence for a flawed implementation, or null.</summary>
    public string? Diagnosis { get; }

    /// <summary>Largest error of gradient <paramref name="g"/> over all cases in its natural unit; NaN wins; null when never measured element by element.</summary>
    public double? Worst(GradientName g)
    {
        double? worst = null;
        foreach (var c in Cases)
        {
            if (c.MaxErrors[(int)g] is not { } value || (worst is { } w && double.IsNaN(w))) continue;
            if (worst is null || double.IsNaN(value) || value > worst) worst = value;
        }
        return worst;
    }

    /// <summary>The counterexample a person checks by hand: the shrunk case (or the first failing one) as a <c>bnverify-case/1</c> file.</summary>
    public string? CounterexampleJson()
    {
        if (FirstFailure is null) return null;
        var problem = Shrunk?.Problem ?? FirstFailure.Case.Problem;
        string origin = FirstFailure.Case.Index >= 0 ? $"case {FirstFailure.Case.Index} of seed {Seed}" : FirstFailure.Case.Name;
        return CaseWriter.ToJson($"{Id}-counterexample", $"BnVerify: {origin}{(Shrunk is null ? "" : ", shrunk")}", problem);
    }

    /// <summary>
    /// Everything a person needs to see why the implementation failed, in a few lines: the verdict, the failing gradient
    /// and element with expected, actual, error and bound, the diagnosis, the shrunk counterexample as a case file and the
    /// seed that replays it. "correct: ..." when it passed.
    /// </summary>
    public string Describe()
    {
        int scheduled = Cases.Count(c => c.Case.Scheduled);
        int random = Cases.Count(c => c.Case.Index >= 0) - scheduled;
        int given = Cases.Count - random - scheduled;
        string generated = scheduled > 0 ? $"{scheduled} scheduled and {random} random" : $"{random} random";
        if (FirstFailure is null)
            return $"{Id}: correct on {generated} case(s) (seed {Seed}) and {given} given case(s)";
        var lines = new List<string>
        {
            $"{Id}: flawed: {Failed} of {Cases.Count} case(s) fail ({generated} with seed {Seed}, {given} given)",
            $"first failure, {FirstFailure.Case.Name} ({FirstFailure.Case.Problem.ShapeText}): {FirstFailure.Summary}",
        };
        if (Shrunk is { } s)
            lines.Add($"shrunk to {s.Problem.ShapeText}: {s.Summary()}");
        if (Diagnosis is { Length: > 0 } d) lines.Add($"diagnosis: {d}");
        lines.Add("counterexample (a bnverify-case/1 file; run it with `bnverify cases FILE`):");
        lines.Add(CounterexampleJson()!.TrimEnd('\n'));
        lines.Add($"replay: the same options with Seed = {Seed}" + (FirstFailure.Case.Index >= 0 ? $" (case {FirstFailure.Case.Index})" : ""));
        return string.Join(Environment.NewLine, lines);
    }

    /// <inheritdoc />
    public override string ToString() => Describe();
}

/// <summary>Thrown by <see cref="Verifier.AssertCorrect(IBatchNormBackward, VerifierOptions?)"/> when an implementation is found flawed; the message is <see cref="VerificationReport.Describe"/>.</summary>
public sealed class BackwardVerificationException : Exception
{
    /// <summary>Creates the exception for <paramref name="report"/>.</summary>
    public BackwardVerificationException(VerificationReport report) : base((report ?? throw new ArgumentNullException(nameof(report))).Describe()) =>
        Report = report;

    /// <summary>The report of the failed verification.</summary>
    public VerificationReport Report { get; }
}

/// <summary>
/// The one pipeline that turns problems into verdicts, shared by every command, the tests and the library API:
/// random cases from a <see cref="ProblemSource"/> and given cases (golden files) → checks of every implementation
/// (oracles prepared once per case and precision, calls guarded against exceptions and hangs) → per implementation a
/// verdict, the worst errors, the first failure shrunk to a small counterexample, the doctor's diagnosis and the seed.
/// </summary>
public static class Verifier
{
    /// <summary>Verifies one implementation (see <see cref="Run"/>).</summary>
    public static VerificationReport Verify(IBatchNormBackward implementation, VerifierOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(implementation);
        return Run([implementation], options)[0];
    }

    /// <summary>Verifies a backward written as a delegate, under the id <paramref name="id"/>.</summary>
    public static VerificationReport Verify<T>(string id, BackwardFunction<T> backward, VerifierOptions? options = null)
        where T : unmanaged, System.Numerics.IBinaryFloatingPointIeee754<T> =>
        Verify(new DelegateBackward<T>(id, backward), options);

    /// <summary>
    /// Verifies <paramref name="implementation"/> and throws <see cref="BackwardVerificationException"/> when it is found
    /// flawed, whatever it declares: the message holds the failing gradient and element, the shrunk counterexample as a
    /// case file, the diagnosis and the replay seed, so a failing xunit, NUnit or MSTest test shows everything.
    /// </summary>
    public static void AssertCorrect(IBatchNormBackward implementation, VerifierOptions? options = null)
    {
        var report = Verify(implementation, options);
        if (report.Found != Verdict.Correct) throw new BackwardVerificationException(report);
    }

    /// <summary>As <see cref="AssertCorrect(IBatchNormBackward, VerifierOptions?)"/> for a backward written as a delegate.</summary>
    public static void AssertCorrect<T>(string id, BackwardFunction<T> backward, VerifierOptions? options = null)
        where T : unmanaged, System.Numerics.IBinaryFloatingPointIeee754<T> =>
        AssertCorrect(new DelegateBackward<T>(id, backward), options);

    /// <summary>
    /// Checks every implementation on the same cases: the source's scheduled shapes and <see cref="VerifierOptions.Cases"/>
    /// random ones, then the given ones.
    /// <paramref name="progress"/> is called once per (implementation, case) checked, from any thread.
    /// An implementation that hangs is called no more: its later cases fail as "not run".
    /// </summary>
    public static IReadOnlyList<VerificationReport> Run(IReadOnlyList<IBatchNormBackward> implementations, VerifierOptions? options = null, Action? progress = null)
    {
        ArgumentNullException.ThrowIfNull(implementations);
        options ??= VerifierOptions.Default;
        options.Validate();
        var cases = Enumerable.Range(0, options.Source.Count(options.Cases))
            .Select(i => VerificationCase.Generated(options.Source, options.Seed, i))
            .Concat(options.Given)
            .ToList();
        var outcomes = new CaseOutcome[implementations.Count, cases.Count];
        var hung = new string?[implementations.Count];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.MaxParallelism };
        try
        {
            CheckCases();
        }
        catch (AggregateException e) when (e.Flatten().InnerExceptions.OfType<NotAVerdictException>().FirstOrDefault() is { } harness)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(harness); // not a verdict: the run stops
        }

        void CheckCases() => Parallel.For(0, cases.Count, parallel, c =>
        {
            var vcase = cases[c];
            var live = Enumerable.Range(0, implementations.Count).Where(k => Volatile.Read(ref hung[k]) is null).ToList();
            var results = GradientChecker.CheckAll(live.Select(k => implementations[k]).ToList(), vcase.Problem, options.Check,
                vcase.Expected is { } expected ? [Oracles.Stored(StoredOracle, expected)] : null);
            for (int r = 0; r < live.Count; r++)
            {
                int k = live[r];
                var result = results[r];
                if (result.Hung) Interlocked.CompareExchange(ref hung[k], vcase.Name, null);
                outcomes[k, c] = Outcome(vcase, result, options.KeepResults);
                progress?.Invoke();
            }
            for (int k = 0; k < implementations.Count; k++)
            {
                if (live.Contains(k)) continue;
                outcomes[k, c] = new CaseOutcome(vcase, false, "none", [null, null, null],
                    $"not run: {implementations[k].Info.Id} hung on {hung[k]}", null);
                progress?.Invoke();
            }
        });

        var reports = new VerificationReport[implementations.Count];
        for (int k = 0; k < implementations.Count; k++)
        {
            var impl = implementations[k];
            var row = Enumerable.Range(0, cases.Count).Select(c => outcomes[k, c]).ToList();
            var first = row.FirstOrDefault(o => !o.Pass);
            CheckResult? shrunk = null;
            string? diagnosis = null;
            if (first is not null)
            {
                // The first failure's full result, re-checked when it was not kept (checks are deterministic).
                var firstResult = first.Result ?? Check(impl, first.Case, options.Check);
                first = first with { Result = firstResult };
                row[row.FindIndex(o => ReferenceEquals(o.Case, first.Case))] = first;
                bool hang = hung[k] is not null;
                if (options.Shrink && !hang && firstResult.Error is null)
                {
                    var smallest = ProblemShrinker.Minimize(first.Case.Problem, p => !GradientChecker.Check(impl, p, options.Check).Pass);
                    var again = GradientChecker.Check(impl, smallest, options.Check);
                    if (!again.Pass) shrunk = again; // a failure only against stored values may not reproduce numerically
                }
                // The spatial doctor first: it names a wrong grouping of a spatial batch, and says nothing when the grouping
                // is right, leaving the per-channel formula to the derivation doctor.
                if (options.Diagnose && !hang)
                    diagnosis = firstResult.Error ?? SpatialDoctor.Sentence(impl, shrunk ?? firstResult) ?? DerivationDoctor.Sentence(impl, shrunk ?? firstResult);
            }
            reports[k] = new VerificationReport(impl, row, options.Seed, options, first, shrunk, diagnosis);
        }
        return reports;
    }

    /// <summary>The oracle name reported for a case's stored expected values.</summary>
    public const string StoredOracle = "stored expected values";

    private static CheckResult Check(IBatchNormBackward impl, VerificationCase vcase, CheckOptions check) =>
        vcase.Expected is { } expected
            ? GradientChecker.CheckAll([impl], vcase.Problem, check, [Oracles.Stored(StoredOracle, expected)])[0]
            : GradientChecker.Check(impl, vcase.Problem, check);

    private static CaseOutcome Outcome(VerificationCase vcase, CheckResult result, bool keep) =>
        new(vcase, result.Pass, result.Oracle,
            Gradients.All.Select(g => result.Of(g) is null ? (double?)null : result.MaxError(g)).ToArray(),
            result.Summary(), keep || result.Error is not null ? result : null);
}
