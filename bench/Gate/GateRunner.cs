using System.Globalization;
using System.Runtime.InteropServices;
using BnVerify.Bench.Benchmarks;
using BnVerify.Cases;
using BnVerify.Checking;
using BnVerify.Verification;

namespace BnVerify.Bench.Gate;

/// <summary>What <c>gate</c> does and with what.</summary>
/// <param name="BaselinePath">The committed baseline (read, or written with <paramref name="UpdateBaseline"/>).</param>
/// <param name="Tolerance">Allowed slowdown of an in-cache ratio, as a fraction (0.25 = 25%).</param>
/// <param name="UpdateBaseline">Measure and write the baseline instead of comparing.</param>
/// <param name="Rounds">In-cache timing rounds (each times every implementation declared correct once).</param>
/// <param name="Cases">Random correctness cases per implementation.</param>
/// <param name="Seed">Seed of the random cases.</param>
/// <param name="GoldenFolder">Golden case folder; null for the copy shipped beside the program.</param>
/// <param name="N">Rows of the in-cache problem.</param>
/// <param name="D">Columns of the in-cache problem.</param>
/// <param name="Alpha">Significance level of the slowdown test.</param>
/// <param name="Processes">Independent timing processes; each ratio is taken from the process whose median is the median.</param>
/// <param name="MemoryTolerance">Allowed slowdown of a memory-bound ratio (a fast kernel against its bandwidth yardstick), as a fraction.</param>
/// <param name="MemoryRounds">Memory-bound timing rounds (each times every fast kernel of a type beside its yardstick); 0 skips the memory-bound regime.</param>
/// <param name="Plants">
/// Regressions planted on purpose (<see cref="KernelVariant"/>, <c>ID:KEY=VALUE,...</c>): each named kernel is checked and timed
/// with the variant's options in its place, under its own id, to show that the gate catches it. Never with <paramref name="UpdateBaseline"/>.
/// </param>
/// <param name="MemoryShapes">The memory-bound shape per element type ("f64", "f32"); null for <see cref="DefaultMemoryShapes"/>.</param>
public sealed record GateOptions(
    string BaselinePath, double Tolerance = 0.25, bool UpdateBaseline = false, int Rounds = 30, int Cases = 40,
    int Seed = 20261201, string? GoldenFolder = null, int N = 128, int D = 64, double Alpha = 0.01, int Processes = 3,
    double MemoryTolerance = 0.15, int MemoryRounds = 30, IReadOnlyList<string>? Plants = null,
    IReadOnlyDictionary<string, string>? MemoryShapes = null)
{
    /// <summary>The reference every in-cache ratio is taken against: a plain two-pass loop, stable from run to run.</summary>
    public const string ReferenceId = "alt-simplified";

    /// <summary>
    /// The memory-bound shapes: 32 MiB per N×D array in both types (4096×1024 float64, 8192×1024 float32), so x, dout and dx
    /// together are 96 MiB, three times the 32 MiB last-level cache a core of this EPYC VM has, with dx above the 16 MiB from
    /// which the kernels use non-temporal stores and each array above the 2 MiB from which the parallel kernels split rows.
    /// </summary>
    public static IReadOnlyDictionary<string, string> DefaultMemoryShapes { get; } = new Dictionary<string, string> { ["f64"] = "4096x1024", ["f32"] = "8192x1024" };

    /// <summary>The memory-bound shape per type in effect.</summary>
    public IReadOnlyDictionary<string, string> EffectiveMemoryShapes => MemoryShapes ?? DefaultMemoryShapes;

    /// <summary>The in-cache shape, "NxD".</summary>
    public string InCacheShape => $"{N}x{D}";

    /// <summary>The planted variants by kernel id.</summary>
    public IReadOnlyDictionary<string, KernelVariant> PlantedVariants =>
        (Plants ?? []).Select(KernelVariant.Parse).ToDictionary(v => v.Id);
}

/// <summary>
/// The CI regression gate: in one process, checks every implementation's verdict (random cases from a fixed seed plus
/// the shipped golden cases); times every implementation declared correct in cache as a ratio to <see cref="GateOptions.ReferenceId"/>,
/// and every fast kernel at a memory-bound shape of its type as a ratio to the bandwidth yardstick with its own memory
/// pattern (<see cref="BenchTargets.YardstickFor"/>), timed back to back in the same rounds; then compares with the committed
/// baseline (<see cref="GateComparison"/>) or writes a new one.
/// Exit codes: 0 pass, 1 a regression (slower, verdict changed, implementation gone), 2 missing or malformed baseline or bad options.
/// </summary>
public static class GateRunner
{
    /// <summary>Runs the gate; writes the table to <paramref name="stdout"/> and errors to <paramref name="stderr"/>.</summary>
    public static int Run(GateOptions options, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        var clock = System.Diagnostics.Stopwatch.StartNew();

        if (options.UpdateBaseline && options.Plants is { Count: > 0 })
        {
            stderr.WriteLine("bnverify: error: --plant and --update-baseline together would record a planted regression as the baseline");
            return 2;
        }
        Baseline? baseline = null;
        if (!options.UpdateBaseline)
        {
            try
            {
                baseline = Baseline.Load(options.BaselinePath);
            }
            catch (InvalidDataException e)
            {
                stderr.WriteLine($"bnverify: error: {e.Message}");
                return 2;
            }
        }
        // The shipped golden cases: N×D (torch/) and N×C×H×W (torch-nchw/, without which a spatial flaw would pass the gate).
        string[] golden = options.GoldenFolder is { } folder ? [folder]
            : [Path.Combine(AppContext.BaseDirectory, "golden", "torch"), Path.Combine(AppContext.BaseDirectory, "golden", "torch-nchw")];
        IReadOnlyList<CaseFile> goldenCases;
        try
        {
            goldenCases = golden.SelectMany(CaseFile.Expand).Select(CaseFile.Load).ToList();
        }
        catch (CaseFormatException e)
        {
            stderr.WriteLine($"bnverify: error: {e.Message}");
            return 2;
        }

        stdout.WriteLine($"gate: seed {options.Seed}, {ShapeSchedule.Boundaries.Shapes.Count} scheduled + {options.Cases} random cases per implementation + {goldenCases.Count} golden cases; " +
                         $"timing in cache at {Pretty(options.InCacheShape)} ({options.Rounds} rounds, ratios to {GateOptions.ReferenceId})" +
                         (options.MemoryRounds > 0
                             ? $" and memory-bound at {string.Join(", ", options.EffectiveMemoryShapes.Select(kv => $"{Pretty(kv.Value)} {kv.Key}"))} " +
                               $"({options.MemoryRounds} rounds, each fast kernel against its bandwidth yardstick)"
                             : "; memory-bound timing skipped"));
        if (options.Plants is { Count: > 0 })
            stdout.WriteLine($"gate: PLANTED regressions, timed in place of the real kernels: {string.Join(", ", options.PlantedVariants.Values.Select(v => v.Name))}");
        var entries = Measure(options, goldenCases, stdout);

        if (options.UpdateBaseline)
        {
            var mismatched = entries.Where(e => e.Declared != e.Verdict).Select(e => e.Id).ToList();
            if (mismatched.Count > 0)
            {
                stderr.WriteLine($"bnverify: error: not writing a baseline while found verdicts differ from declared ones: {string.Join(", ", mismatched)}");
                return 1;
            }
            var fresh = new Baseline(Baseline.FormatTag, DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture), Machine(), entries);
            fresh.Save(options.BaselinePath);
            stdout.WriteLine($"gate: wrote {options.BaselinePath} ({entries.Count} implementations, {fresh.Machine}) in {clock.Elapsed.TotalSeconds:F0} s");
            return 0;
        }

        var rows = GateComparison.Compare(baseline!, entries, new Tolerances(options.Tolerance, options.MemoryTolerance), options.Alpha);
        WriteTable(rows, stdout);
        var failing = rows.Where(r => r.Fails).ToList();
        stdout.WriteLine(failing.Count == 0
            ? $"gate: PASS against {options.BaselinePath} (baseline of {baseline!.Created}, tolerance {options.Tolerance:0%} in cache, {options.MemoryTolerance:0%} memory-bound) in {clock.Elapsed.TotalSeconds:F0} s"
            : $"gate: FAIL: {string.Join("; ", failing.Select(r => $"{r.Subject}: {r.Message}"))}");
        return failing.Count == 0 ? 0 : 1;
    }

    /// <summary>The implementation the gate checks and times under <paramref name="impl"/>'s id: the planted variant if there is one.</summary>
    private static IBatchNormBackward Planted(IBatchNormBackward impl, GateOptions options) =>
        options.PlantedVariants.TryGetValue(impl.Info.Id, out var variant) ? variant.Create() : impl;

    private static List<GateEntry> Measure(GateOptions options, IReadOnlyList<CaseFile> golden, TextWriter stdout)
    {
        // Verdicts through the one pipeline: the scheduled edge and boundary shapes (check's, without its 2048×1024 case),
        // the fixed-seed random cases and the golden cases, no shrinking or diagnosis. A planted variant is checked in
        // place of the implementation it varies, under that implementation's id.
        var verification = new VerifierOptions
        {
            Cases = options.Cases,
            Seed = options.Seed,
            Source = new ProblemSource(GeneratorRange.Default, ShapeSchedule.Boundaries),
            Given = golden.Select(VerificationCase.From).ToList(),
            Shrink = false,
            Diagnose = false,
        };
        var registered = BuiltIn.Implementations.All;
        var reports = Verifier.Run(registered.Select(i => Planted(i, options)).ToList(), verification);
        var verdicts = registered.Select((i, k) => (i.Info.Id, reports[k].Found == Verdict.Correct ? "correct" : "flawed"))
            .ToDictionary(v => v.Id, v => v.Item2);
        stdout.WriteLine($"gate: verdicts checked for {verdicts.Count} implementations");

        var (ratios, processMedians) = TimeInProcesses(options, stdout);
        var plan = Plan(options);
        stdout.WriteLine($"gate: timed {plan.Count} (implementation, shape) pairs in {options.Processes} process(es)");

        return BuiltIn.Implementations.All.Select(i =>
        {
            var timings = plan.Where(t => t.Id == i.Info.Id && ratios.ContainsKey(t.Key)).Select(t =>
            {
                var samples = ratios[t.Key];
                return new GateTiming(t.Shape, t.Regime, t.Reference, t.Clock, Math.Round(GateComparison.Median(samples), 4),
                    samples.Select(s => Math.Round(s, 4)).ToArray(), processMedians[t.Key].Select(m => Math.Round(m, 4)).ToArray());
            }).ToList();
            return new GateEntry(i.Info.Id, i.ElementType == typeof(float) ? "f32" : "f64", i.Info.DeclaredText, verdicts[i.Info.Id], timings);
        }).ToList();
    }

    /// <summary>One (implementation, shape) the gate times: against what, on which clock, and its key in the timing results.</summary>
    private sealed record TimingPlan(string Id, string Shape, string Regime, string Reference, string Clock)
    {
        public string Key => $"{Id}@{Shape}";
    }

    /// <summary>Everything the gate times, from the options alone (so parent and child processes agree on it).</summary>
    private static List<TimingPlan> Plan(GateOptions options)
    {
        int threads = Environment.ProcessorCount;
        string inCacheClock = ThreadClock.IsAvailable ? Clock.ThreadCpu : Clock.Wall;
        // Only what is compared: implementations declared correct (a flawed one's speed is never gated; its verdict is).
        var plan = BuiltIn.Implementations.All.Where(i => i.Info.Family != Family.Mutant && i.Info.Declared == Verdict.Correct)
            .Select(i => new TimingPlan(i.Info.Id, options.InCacheShape, Regime.InCache, GateOptions.ReferenceId, inCacheClock)).ToList();
        if (options.MemoryRounds <= 0) return plan;
        foreach (var (type, shape) in options.EffectiveMemoryShapes)
            foreach (var kernel in FastKernels(type))
            {
                // The clock follows the kernel as registered (a planted threads=1 is still timed as the multi-core kernel is).
                string yardstick = BenchTargets.YardstickFor(kernel, shape, threads);
                bool oneThread = BenchTargets.RunsOnOneThread(kernel, shape, threads) && BenchTargets.RunsOnOneThread(yardstick, shape, threads);
                plan.Add(new TimingPlan(kernel, shape, Regime.MemoryBound, yardstick, oneThread && ThreadClock.IsAvailable ? Clock.ThreadCpu : Clock.Wall));
            }
        return plan;
    }

    /// <summary>
    /// The fast kernels of <paramref name="type"/> that the memory-bound shapes (N×D) are meant for: the rows × channels
    /// ones. An NCHW kernel sees an N×D batch as H = W = 1, planes of one value each, where it is compute-bound (13× its
    /// yardstick) and its ratio swung by 34% under load in CI; its memory-bound regime is a spatial shape, not gated yet.
    /// </summary>
    private static IEnumerable<string> FastKernels(string type) =>
        BuiltIn.Implementations.All.Where(i => i.Info.Family == Family.Fast && i.Layout == Layout.ND && BenchTargets.TypeOf(i.Info.Id) == type).Select(i => i.Info.Id);

    /// <summary>
    /// Per-round ratios of every (implementation, shape), from the process (of <see cref="GateOptions.Processes"/>
    /// independent ones) whose median ratio is the median over processes. On a shared machine a process as a whole can
    /// run ~10% fast or slow for one implementation (memory placement, neighbours' cache pressure); rounds within one
    /// process cannot see that, independent processes can.
    /// </summary>
    private static (IReadOnlyDictionary<string, double[]> Samples, IReadOnlyDictionary<string, double[]> ProcessMedians) TimeInProcesses(GateOptions options, TextWriter stdout)
    {
        var runs = new List<IReadOnlyDictionary<string, double[]>>();
        if (options.Processes <= 1)
        {
            runs.Add(TimeHere(options));
        }
        else
        {
            for (int p = 0; p < options.Processes; p++)
            {
                stdout.WriteLine($"gate: timing process {p + 1} of {options.Processes}");
                runs.Add(TimeInChildProcess(options));
            }
        }
        var samples = runs[0].Keys.ToDictionary(key => key, key =>
            runs.Select(r => r[key]).OrderBy(s => GateComparison.Median(s)).ElementAt(runs.Count / 2));
        var medians = runs[0].Keys.ToDictionary(key => key, key => runs.Select(r => GateComparison.Median(r[key])).ToArray());
        return (samples, medians);
    }

    /// <summary>
    /// Memory placements of the in-cache problem per process, used in turn by the rounds: 8 × 22 implementations × the
    /// 64 KiB arrays of a 128×64 float64 problem is about 50 MiB of pinned memory.
    /// </summary>
    private const int InCachePlacements = 8;

    /// <summary>Times everything in <see cref="Plan"/> in this process (<see cref="GateMeasurement"/>); keys "id@shape".</summary>
    internal static IReadOnlyDictionary<string, double[]> TimeHere(GateOptions options)
    {
        var result = new Dictionary<string, double[]>();
        var plan = Plan(options);

        // In cache: every implementation declared correct, a batch of ~20 ms each per round, ratios to alt-simplified, each
        // round on one of several random memory placements of every implementation's arrays (GateMeasurement.Ratios).
        var problem = ProblemGenerator.Generate(new Random(options.Seed), options.N, options.D);
        var inCache = plan.Where(t => t.Regime == Regime.InCache).Select(t => Planted(BuiltIn.Implementations.Get(t.Id), options)).ToList();
        var placement = new Random(options.Seed);
        var placements = Enumerable.Range(0, Math.Min(options.Rounds, InCachePlacements))
            .Select(_ => (IReadOnlyList<PreparedBackward>)inCache.Select(i => PreparedBackward.For(i, problem, placement)).ToList()).ToList();
        foreach (var (id, samples) in GateMeasurement.Ratios(placements, GateOptions.ReferenceId, options.Rounds, TimeSpan.FromMilliseconds(20), options.Seed))
            result[$"{id}@{options.InCacheShape}"] = samples;

        // Memory-bound: per type, each fast kernel back to back with its yardstick, one call each (milliseconds), per round.
        int threads = Environment.ProcessorCount;
        var plants = options.PlantedVariants;
        foreach (var shape in plan.Where(t => t.Regime == Regime.MemoryBound).Select(t => t.Shape).Distinct())
        {
            var pairs = plan.Where(t => t.Regime == Regime.MemoryBound && t.Shape == shape).Select(t => new TimedPair(
                t.Id, BenchTargets.Bind(plants.TryGetValue(t.Id, out var v) ? v.Name : t.Id, shape, threads),
                t.Reference, BenchTargets.Bind(t.Reference, shape, threads), t.Clock == Clock.ThreadCpu)).ToList();
            foreach (var (id, samples) in GateMeasurement.PairRatios(pairs, options.MemoryRounds, TimeSpan.Zero, options.Seed))
                result[$"{id}@{shape}"] = samples;
        }
        return result;
    }

    /// <summary>Runs <c>gate --time-only FILE</c> in a fresh process of this program and reads the ratios it wrote.</summary>
    private static IReadOnlyDictionary<string, double[]> TimeInChildProcess(GateOptions options)
    {
        string file = Path.GetTempFileName();
        try
        {
            var start = new System.Diagnostics.ProcessStartInfo { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            string host = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find this program's path");
            if (Path.GetFileNameWithoutExtension(host) == "dotnet") start.ArgumentList.Add(typeof(GateRunner).Assembly.Location);
            start.FileName = host;
            foreach (var a in ChildArguments(options, file)) start.ArgumentList.Add(a);
            using var child = System.Diagnostics.Process.Start(start) ?? throw new InvalidOperationException($"cannot start {host}");
            var error = child.StandardError.ReadToEndAsync();
            string output = child.StandardOutput.ReadToEnd();
            child.WaitForExit();
            if (child.ExitCode != 0) throw new InvalidOperationException($"timing process failed (exit {child.ExitCode}): {(output + error.Result).Trim()}");
            return System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, double[]>>(File.ReadAllText(file))
                   ?? throw new InvalidOperationException("timing process wrote no ratios");
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>The command line of a timing child: everything <see cref="Plan"/> and <see cref="TimeHere"/> depend on.</summary>
    private static IEnumerable<string> ChildArguments(GateOptions options, string file)
    {
        string I(int v) => v.ToString(CultureInfo.InvariantCulture);
        yield return "gate";
        yield return "--time-only";
        yield return file;
        foreach (var a in new[] { "--rounds", I(options.Rounds), "--memory-rounds", I(options.MemoryRounds), "--seed", I(options.Seed) }) yield return a;
        foreach (var (type, shape) in options.EffectiveMemoryShapes)
        {
            yield return "--memory-shape";
            yield return $"{type}={shape}";
        }
        foreach (var plant in options.Plants ?? [])
        {
            yield return "--plant";
            yield return plant;
        }
    }

    /// <summary>The child side of <see cref="TimeInChildProcess"/>: times here and writes the ratios to <paramref name="file"/>.</summary>
    public static int TimeOnly(GateOptions options, string file)
    {
        ArgumentNullException.ThrowIfNull(options);
        File.WriteAllText(file, System.Text.Json.JsonSerializer.Serialize(TimeHere(options)));
        return 0;
    }

    private static void WriteTable(IReadOnlyList<GateRow> rows, TextWriter stdout)
    {
        int width = Math.Max(24, rows.Max(r => r.Id.Length) + 2);
        stdout.WriteLine($"{"implementation".PadRight(width)}{"shape",-11}{"status",-16}{"baseline",10}{"now",10}{"p",10}  detail");
        foreach (var r in rows)
        {
            stdout.WriteLine($"{r.Id.PadRight(width)}{(r.Shape is null ? "-" : Pretty(r.Shape)),-11}{Status(r.Status),-16}{Ratio(r.BaselineRatio),10}{Ratio(r.CurrentRatio),10}" +
                             $"{(r.PValue is { } p ? (p < 1e-4 ? "<0.0001" : p.ToString("0.####", CultureInfo.InvariantCulture)) : "-"),10}  {r.Message}");
        }
    }

    private static string Pretty(string shape) => shape.Replace("x", "×", StringComparison.Ordinal);

    private static string Status(GateStatus s) => s switch
    {
        GateStatus.Ok => "ok",
        GateStatus.New => "new",
        GateStatus.NotCompared => "not compared",
        GateStatus.ReferenceChanged => "FAIL reference",
        GateStatus.Slower => "FAIL slower",
        GateStatus.VerdictChanged => "FAIL verdict",
        _ => "FAIL gone",
    };

    private static string Ratio(double? r) => r is { } v ? $"{v:0.###}×" : "-";

    private static string Machine()
    {
        string cpu = "unknown cpu";
        try
        {
            cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? cpu;
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return $"{cpu}, {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}, SIMD width {Kernels.SimdWidth.Widest} bits";
    }
}
