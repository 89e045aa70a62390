using System.Runtime.InteropServices;
using BnVerify.Cases;
using BnVerify.Checking;

namespace BnVerify.Bench.Gate;

/// <summary>What <c>gate</c> does and with what.</summary>
/// <param name="BaselinePath">The committed baseline (read, or written with <paramref name="UpdateBaseline"/>).</param>
/// <param name="Tolerance">Allowed slowdown of a ratio, as a fraction (0.25 = 25%).</param>
/// <param name="UpdateBaseline">Measure and write the baseline instead of comparing.</param>
/// <param name="Rounds">Timing rounds (each times every implementation once).</param>
/// <param name="Cases">Random correctness cases per implementation.</param>
/// <param name="Seed">Seed of the random cases.</param>
/// <param name="GoldenFolder">Golden case folder; null for the copy shipped beside the program.</param>
/// <param name="N">Rows of the timed problem.</param>
/// <param name="D">Columns of the timed problem.</param>
/// <param name="Alpha">Significance level of the slowdown test.</param>
/// <param name="Processes">Independent timing processes; each implementation's ratio is the median over them.</param>
public sealed record GateOptions(
    string BaselinePath, double Tolerance = 0.25, bool UpdateBaseline = false, int Rounds = 30, int Cases = 40,
    int Seed = 20261201, string? GoldenFolder = null, int N = 128, int D = 64, double Alpha = 0.01, int Processes = 3)
{
    /// <summary>The reference every ratio is taken against: a plain two-pass loop, stable from run to run.</summary>
    public const string ReferenceId = "alt-simplified";
}

/// <summary>
/// The CI regression gate: in one process, checks every implementation's verdict (random cases from a fixed seed plus
/// the shipped golden cases) and times every non-mutant implementation as a ratio to <see cref="GateOptions.ReferenceId"/>;
/// then compares with the committed baseline (<see cref="GateComparison"/>) or writes a new one.
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
        string golden = options.GoldenFolder ?? Path.Combine(AppContext.BaseDirectory, "golden", "torch");
        IReadOnlyList<CaseFile> goldenCases;
        try
        {
            goldenCases = CaseFile.Expand(golden).Select(CaseFile.Load).ToList();
        }
        catch (CaseFormatException e)
        {
            stderr.WriteLine($"bnverify: error: {e.Message}");
            return 2;
        }

        stdout.WriteLine($"gate: seed {options.Seed}, {ShapeSchedule.Boundaries.Shapes.Count} scheduled + {options.Cases} random cases per implementation + {goldenCases.Count} golden cases; " +
                         $"timing {options.N}×{options.D}, {options.Rounds} rounds, ratios to {GateOptions.ReferenceId}");
        var entries = Measure(options, goldenCases, stdout);

        if (options.UpdateBaseline)
        {
            var mismatched = entries.Where(e => e.Declared != e.Verdict).Select(e => e.Id).ToList();
            if (mismatched.Count > 0)
            {
                stderr.WriteLine($"bnverify: error: not writing a baseline while found verdicts differ from declared ones: {string.Join(", ", mismatched)}");
                return 1;
            }
            var fresh = new Baseline(Baseline.FormatTag, DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ"), Machine(),
                GateOptions.ReferenceId, options.N, options.D, entries);
            fresh.Save(options.BaselinePath);
            stdout.WriteLine($"gate: wrote {options.BaselinePath} ({entries.Count} implementations, {fresh.Machine})");
            return 0;
        }

        if (baseline!.N != options.N || baseline.D != options.D || baseline.Reference != GateOptions.ReferenceId)
            stdout.WriteLine($"gate: note: the baseline was timed at {baseline.N}×{baseline.D} against {baseline.Reference}; this run at {options.N}×{options.D} against {GateOptions.ReferenceId}");
        var rows = GateComparison.Compare(baseline, entries, options.Tolerance, options.Alpha);
        WriteTable(rows, stdout);
        var failing = rows.Where(r => r.Fails).ToList();
        stdout.WriteLine(failing.Count == 0
            ? $"gate: PASS against {options.BaselinePath} (baseline of {baseline.Created}, tolerance {options.Tolerance:0%})"
            : $"gate: FAIL: {string.Join("; ", failing.Select(r => $"{r.Id}: {r.Message}"))}");
        return failing.Count == 0 ? 0 : 1;
    }

    private static List<GateEntry> Measure(GateOptions options, IReadOnlyList<CaseFile> golden, TextWriter stdout)
    {
        var verdicts = new Dictionary<string, string>();
        // The scheduled edge and boundary shapes (check's, without its 2048×1024 case), then options.Cases random ones;
        // each problem's oracles are prepared once for every implementation still passing (CheckAll).
        var source = new ProblemSource(GeneratorRange.Default, ShapeSchedule.Boundaries);
        var passing = BuiltIn.Implementations.All.ToHashSet();
        for (int c = 0; c < source.Count(options.Cases) && passing.Count > 0; c++)
        {
            var alive = BuiltIn.Implementations.All.Where(passing.Contains).ToList();
            var results = GradientChecker.CheckAll(alive, source.Case(options.Seed, c));
            for (int i = 0; i < alive.Count; i++)
                if (!results[i].Pass) passing.Remove(alive[i]);
        }
        foreach (var impl in BuiltIn.Implementations.All)
        {
            bool pass = passing.Contains(impl);
            foreach (var g in golden)
            {
                if (!pass) break;
                pass = g.Expected is null
                    ? GradientChecker.Check(impl, g.Problem).Pass
                    : GradientChecker.CheckAgainst(impl, g.Problem, g.Expected, "golden").Pass;
            }
            verdicts[impl.Info.Id] = pass ? "correct" : "flawed";
        }
        stdout.WriteLine($"gate: verdicts checked for {verdicts.Count} implementations");

        var ratios = TimeInProcesses(options, stdout);
        stdout.WriteLine($"gate: timed {ratios.Count} implementations in {options.Processes} process(es)");

        return BuiltIn.Implementations.All.Select(i =>
        {
            ratios.TryGetValue(i.Info.Id, out var samples);
            return new GateEntry(i.Info.Id, i.ElementType == typeof(float) ? "f32" : "f64", i.Info.DeclaredText, verdicts[i.Info.Id],
                samples is null ? null : Math.Round(GateComparison.Median(samples), 4), samples?.Select(s => Math.Round(s, 4)).ToArray() ?? []);
        }).ToList();
    }

    /// <summary>
    /// Per-round ratios of every non-mutant implementation, from the process (of <see cref="GateOptions.Processes"/>
    /// independent ones) whose median ratio is the median over processes. On a shared machine a process as a whole can
    /// run ~10% fast or slow for one implementation (memory placement, neighbours' cache pressure); rounds within one
    /// process cannot see that, independent processes can.
    /// </summary>
    private static IReadOnlyDictionary<string, double[]> TimeInProcesses(GateOptions options, TextWriter stdout)
    {
        if (options.Processes <= 1) return TimeHere(options);
        var runs = new List<IReadOnlyDictionary<string, double[]>>();
        for (int p = 0; p < options.Processes; p++)
        {
            stdout.WriteLine($"gate: timing process {p + 1} of {options.Processes}");
            runs.Add(TimeInChildProcess(options));
        }
        return runs[0].Keys.ToDictionary(id => id, id =>
            runs.Select(r => r[id]).OrderBy(samples => GateComparison.Median(samples)).ElementAt(runs.Count / 2));
    }

    /// <summary>Times every non-mutant implementation in this process (<see cref="GateMeasurement"/>).</summary>
    internal static IReadOnlyDictionary<string, double[]> TimeHere(GateOptions options)
    {
        var problem = ProblemGenerator.Generate(new Random(options.Seed), options.N, options.D);
        var timed = BuiltIn.Implementations.All.Where(i => i.Info.Family != Family.Mutant).Select(i => PreparedBackward.For(i, problem)).ToList();
        var reference = timed.Single(p => p.Implementation.Info.Id == GateOptions.ReferenceId);
        return GateMeasurement.Ratios(timed, reference, options.Rounds, TimeSpan.FromMilliseconds(20), options.Seed);
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
            foreach (var a in new[] { "gate", "--time-only", file, "--rounds", options.Rounds.ToString(System.Globalization.CultureInfo.InvariantCulture),
                                      "--seed", options.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture) })
                start.ArgumentList.Add(a);
            using var child = System.Diagnostics.Process.Start(start) ?? throw new InvalidOperationException($"cannot start {host}");
            string output = child.StandardOutput.ReadToEnd() + child.StandardError.ReadToEnd();
            child.WaitForExit();
            if (child.ExitCode != 0) throw new InvalidOperationException($"timing process failed (exit {child.ExitCode}): {output.Trim()}");
            return System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, double[]>>(File.ReadAllText(file))
                   ?? throw new InvalidOperationException("timing process wrote no ratios");
        }
        finally
        {
            File.Delete(file);
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
        stdout.WriteLine($"{"implementation".PadRight(width)}{"status",-16}{"baseline",10}{"now",10}{"p",10}  detail");
        foreach (var r in rows)
        {
            stdout.WriteLine($"{r.Id.PadRight(width)}{Status(r.Status),-16}{Ratio(r.BaselineRatio),10}{Ratio(r.CurrentRatio),10}" +
                             $"{(r.PValue is { } p ? (p < 1e-4 ? "<0.0001" : p.ToString("0.####")) : "-"),10}  {r.Message}");
        }
    }

    private static string Status(GateStatus s) => s switch
    {
        GateStatus.Ok => "ok",
        GateStatus.New => "new",
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
        return $"{cpu}, {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}";
    }
}
