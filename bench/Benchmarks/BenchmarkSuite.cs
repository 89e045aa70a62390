// Entry point of the benchmark suite, for the command line:
//
//     public static Task<int> BenchmarkSuite.RunAsync(BenchmarkOptions options)
//
// Runs BenchmarkDotNet (in-process) over the chosen implementations, types and shapes, then writes to
// options.OutputDirectory (default reports/ at the repository root): benchmark-report.md, throughput.svg and
// BenchmarkDotNet's JSON and CSV exports. Returns 0 on success, 1 when BenchmarkDotNet reports errors, 2 on bad options.
// The command line (bench/Cli/BenchmarkEntry.cs) builds the options from --quick, --impl, --type, --shape, --threads, --out.
using System.Diagnostics;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Exporters.Csv;
using BenchmarkDotNet.Exporters.Json;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using BnVerify.Checking;
using BnVerify.Verification;
using BnVerify.Kernels;
using Perfolizer.Horology;

namespace BnVerify.Bench.Benchmarks;

/// <summary>What one suite run covers: the ids (implementations and yardsticks) and the shapes.</summary>
public sealed record SuitePlan(IReadOnlyList<string> Ids, IReadOnlyList<string> Shapes, int Threads);

/// <summary>The benchmark suite: verdicts from the checker, the BenchmarkDotNet run, the report, the chart and the exports.</summary>
public static class BenchmarkSuite
{
    /// <summary>The id of the baseline every row's ratio refers to at N×D shapes.</summary>
    public const string BaselineId = "seed001-staged";

    /// <summary>The baseline at N×C×H×W shapes: the cs231n way (transpose, the 2-D backward, transpose back).</summary>
    public const string SpatialBaselineId = "spatial-reference";

    /// <summary>The baseline of <paramref name="shape"/>'s rows.</summary>
    public static string BaselineFor(string shape) => BenchmarkOptions.Spatial(shape) is null ? BaselineId : SpatialBaselineId;

    /// <summary>
    /// The memory order a row is measured in: "ND" at an N×D shape; at an N×C×H×W shape "NCHW" for an NCHW implementation
    /// and "NHWC" for a rows × channels one (its memory is NHWC there); "—" for a yardstick (a plain stream).
    /// </summary>
    public static string LayoutOf(string id, string shape)
    {
        if (IsYardstick(id)) return "—";
        if (BenchmarkOptions.Spatial(shape) is null) return "ND";
        return BuiltIn.Implementations.Get(id).Layout == Layout.NCHW ? "NCHW" : "NHWC";
    }

    /// <summary>Yardstick ids per type: ordinary stores, non-temporal stores, and multi-core (non-temporal stores from 16 MiB of dx, like the kernels) — see <see cref="StreamKernel"/>.</summary>
    public static IReadOnlyList<string> Yardsticks(string type) => [$"bandwidth-{type}", $"bandwidth-nt-{type}", $"bandwidth-mt-{type}"];

    /// <summary>True for the bandwidth yardsticks.</summary>
    public static bool IsYardstick(string id) => id.StartsWith("bandwidth-", StringComparison.Ordinal);

    /// <summary>The plan BenchmarkDotNet's parameter sources read (the suite runs in-process).</summary>
    public static SuitePlan CurrentPlan { get; private set; } = new([BaselineId], BenchmarkOptions.QuickShapes, Environment.ProcessorCount);

    /// <summary>"f32" or "f64" for an id.</summary>
    public static string TypeOf(string id) =>
        IsYardstick(id) ? (id.EndsWith("f32", StringComparison.Ordinal) ? "f32" : "f64")
        : BuiltIn.Implementations.Get(id).ElementType == typeof(float) ? "f32" : "f64";

    /// <summary>True for implementations that split work across threads.</summary>
    public static bool IsMultiCore(string id) => id.Contains("parallel", StringComparison.Ordinal) || id.StartsWith("bandwidth-mt", StringComparison.Ordinal);

    /// <summary>Runs the suite; see the comment at the top of this file.</summary>
    public static Task<int> RunAsync(BenchmarkOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        try
        {
            return Task.FromResult(Run(options));
        }
        catch (Exception e) when (e is FormatException or KeyNotFoundException)
        {
            Console.Error.WriteLine(e.Message);
            return Task.FromResult(2);
        }
    }

    private static int Run(BenchmarkOptions options)
    {
        var clock = Stopwatch.StartNew();
        var types = options.EffectiveTypes;
        foreach (var s in options.EffectiveShapes) BenchmarkOptions.ParseShape(s);
        int threads = options.EffectiveThreads;
        var plans = Plans(options, types, threads);
        var chosen = plans.SelectMany(p => p.Ids).Where(id => !IsYardstick(id)).Distinct().Select(id => BuiltIn.Implementations.Get(id)).ToList();

        Console.WriteLine($"Checking {chosen.Count} implementations before benchmarking...");
        var verdicts = Verify(chosen);
        foreach (var (id, v) in verdicts) Console.WriteLine($"  {id,-28} {(v ? "correct" : "FLAWED")}");

        string root = RepositoryRoot();
        string output = Path.GetFullPath(options.OutputDirectory ?? Path.Combine(root, "reports"));
        string artifacts = Path.Combine(root, "BenchmarkDotNet.Artifacts");
        Directory.CreateDirectory(output);
        int rounds = options.Quick ? 5 : 15;
        var rows = new List<BenchRow>();
        var summaries = new List<Summary>();
        foreach (var plan in plans)
        {
            // One BenchmarkDotNet run per plan (2-D shapes, then N×C×H×W shapes), so neither runs the other's implementations.
            CurrentPlan = plan;
            var summary = BenchmarkRunner.Run<BackwardBenchmarks>(Config(options.Quick, artifacts));
            Console.WriteLine($"Paired roofline: the fast kernels and the bandwidth yardsticks timed back to back, {rounds} rounds per type and shape...");
            var paired = PairedRoofline.Measure(plan, rounds, seed: 20261201, progress: Console.WriteLine);
            rows.AddRange(ReportWriter.Rows(summary, verdicts, paired));
            string prefix = summaries.Count == 0 ? "" : "spatial-";
            foreach (var file in Directory.GetFiles(summary.ResultsDirectoryPath).Where(f => f.EndsWith(".json", StringComparison.Ordinal) || f.EndsWith(".csv", StringComparison.Ordinal)))
                File.Copy(file, Path.Combine(output, prefix + Path.GetFileName(file)), overwrite: true);
            summaries.Add(summary);
            BenchData<double>.Clear();
            BenchData<float>.Clear();
        }
        CurrentPlan = new SuitePlan(plans.SelectMany(p => p.Ids).Distinct().ToList(), options.EffectiveShapes, threads);

        string command = "dotnet run -c Release --project bench" + (options.Quick ? " -- --quick" : "") + Describe(options);
        File.WriteAllText(Path.Combine(output, "benchmark-report.md"), ReportWriter.Markdown(rows, summaries[0], CurrentPlan, command, clock.Elapsed, ReportWriter.Verification(chosen)));
        ChartWriter.WriteSvg(rows, CurrentPlan.Shapes, Path.Combine(output, "throughput.svg"));
        Console.WriteLine($"Report written to {output} in {clock.Elapsed.TotalMinutes:F1} min.");
        return summaries.Any(summary => summary.HasCriticalValidationErrors || summary.Reports.Any(r => !r.Success)) ? 1 : 0;
    }

    /// <summary>
    /// What to run: with <c>--impl</c>, those ids at every shape. Otherwise the 2-D shapes with every non-mutant
    /// implementation that computes on rows × channels (as before spatial shapes existed), and the N×C×H×W shapes with the
    /// NCHW implementations and the fast rows × channels kernels, which are the NHWC kernels there (the seeds are
    /// 2-D transcriptions, and at 6.4 million values per array their temporaries alone would take minutes).
    /// </summary>
    private static List<SuitePlan> Plans(BenchmarkOptions options, IReadOnlyList<string> types, int threads)
    {
        bool OfType(IBatchNormBackward i) => types.Contains(i.ElementType == typeof(float) ? "f32" : "f64");
        List<string> Ids(IEnumerable<IBatchNormBackward> impls) => impls.Where(OfType).Select(i => i.Info.Id).Concat(types.SelectMany(Yardsticks)).ToList();
        if (options.Impls is { Count: > 0 })
            return [new SuitePlan(Ids(options.Impls.Where(id => !IsYardstick(id)).Select(id => BuiltIn.Implementations.Get(id))), options.EffectiveShapes, threads)];
        var planar = options.EffectiveShapes.Where(s => BenchmarkOptions.Spatial(s) is null).ToList();
        var spatial = options.EffectiveShapes.Where(s => BenchmarkOptions.Spatial(s) is not null).ToList();
        var all = BuiltIn.Implementations.All.Where(i => i.Info.Family != Family.Mutant).ToList();
        var plans = new List<SuitePlan>();
        if (planar.Count > 0) plans.Add(new SuitePlan(Ids(all.Where(i => i.Layout != Layout.NCHW)), planar, threads));
        if (spatial.Count > 0) plans.Add(new SuitePlan(Ids(all.Where(i => i.Layout == Layout.NCHW || i.Info.Family == Family.Fast)), spatial, threads));
        return plans;
    }

    private static string Describe(BenchmarkOptions o)
    {
        var parts = new List<string>();
        if (o.Impls is { Count: > 0 }) parts.Add("--impl " + string.Join(' ', o.Impls));
        if (o.Types is { Count: > 0 }) parts.Add("--type " + string.Join(' ', o.Types));
        if (o.Shapes is { Count: > 0 }) parts.Add("--shape " + string.Join(' ', o.Shapes));
        if (o.Threads is not null) parts.Add($"--threads {o.Threads}");
        if (parts.Count == 0) return "";
        return (o.Quick ? " " : " -- ") + string.Join(' ', parts);
    }

    /// <summary>
    /// In-process (no child process to build and start: the suite starts fast and shares the input cache between cases;
    /// the measured code is the same JIT-compiled Release code). Iterations are few but each lasts ≥ 150 ms, so a fast
    /// kernel runs many invocations per iteration while a slow allocating seed runs one; the median of the iterations ranks the
    /// implementations and the best iteration gives the bandwidth (see <see cref="BenchRow.GBps"/>). The full suite takes 15
    /// iterations so that the best of them is rarely one disturbed by other work (about 7 minutes in all on the 2-core VM, with the paired roofline).
    /// </summary>
    private static IConfig Config(bool quick, string artifacts)
    {
        var job = Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithLaunchCount(1)
            .WithWarmupCount(quick ? 1 : 2)
            .WithIterationCount(quick ? 3 : 15)
            .WithIterationTime(TimeInterval.FromMilliseconds(quick ? 100 : 150))
            .WithId(quick ? "quick" : "suite");
        return ManualConfig.CreateEmpty()
            .AddJob(job)
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddColumnProvider(DefaultColumnProviders.Instance)
            .AddLogger(ConsoleLogger.Default)
            .AddExporter(JsonExporter.Full, CsvExporter.Default, MarkdownExporter.GitHub)
            .WithArtifactsPath(artifacts)
            .WithOptions(ConfigOptions.JoinSummary);
    }

    /// <summary>The verdicts shown beside the timings: the verifier on 20 fixed-seed random cases and the golden cases, no shrinking or diagnosis.</summary>
    public static IReadOnlyDictionary<string, bool> Verify(IReadOnlyList<IBatchNormBackward> implementations)
    {
        ArgumentNullException.ThrowIfNull(implementations);
        var options = new VerifierOptions { Cases = 20, Seed = 42, Shrink = false, Diagnose = false };
        return Verifier.Run(implementations, options).ToDictionary(r => r.Id, r => r.Found == Verdict.Correct);
    }

    /// <summary>Builds the inputs of (id, shape) and returns the call to measure.</summary>
    public static Action Bind(string id, string shape)
    {
        int threads = CurrentPlan.Threads;
        if (IsYardstick(id))
        {
            var (n, d) = BenchmarkOptions.ParseShape(shape);
            int t = id.Contains("-mt-", StringComparison.Ordinal) ? threads : 1;
            // The multi-core yardstick stores as the multi-core kernels do: non-temporal once dx exceeds the threshold.
            bool nt = id.Contains("-nt-", StringComparison.Ordinal)
                || (t > 1 && (long)n * d * (TypeOf(id) == "f32" ? 4 : 8) >= KernelOptions.DefaultNonTemporalThresholdBytes);
            if (TypeOf(id) == "f32")
            {
                var data = BenchData<float>.For(shape);
                var x = data.X;
                return () => StreamKernel.Consume(StreamKernel.Run(x, data.Dout, data.Dx, nt, t));
            }
            else
            {
                var data = BenchData<double>.For(shape);
                var x = data.X;
                return () => StreamKernel.Consume(StreamKernel.Run(x, data.Dout, data.Dx, nt, t));
            }
        }
        var impl = BuiltIn.WithThreads(BuiltIn.Implementations.Get(id), threads);
        switch (impl)
        {
            case IBatchNormBackward<double> f64:
            {
                var data = BenchData<double>.For(shape, impl.Layout);
                return () => f64.Backward(data.Cache, data.Dout, data.Dx, data.Dgamma, data.Dbeta);
            }
            case IBatchNormBackward<float> f32:
            {
                var data = BenchData<float>.For(shape, impl.Layout);
                return () => f32.Backward(data.Cache, data.Dout, data.Dx, data.Dgamma, data.Dbeta);
            }
            default:
                throw new NotSupportedException($"{id}: element type {impl.ElementType.Name} is not benchmarked.");
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "BnVerify.sln"))) return dir.FullName;
        return Directory.GetCurrentDirectory();
    }
}
