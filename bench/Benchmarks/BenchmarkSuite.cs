// Entry point of the benchmark suite, for the command line:
//
//     public static Task<int> BenchmarkSuite.RunAsync(BenchmarkOptions options)
//
// Runs BenchmarkDotNet (in-process) over the chosen implementations, kernel variants, types and shapes, then the paired
// roofline, then writes to options.EffectiveOutputDirectory (reports/ at the repository root for the full default suite,
// reports/partial/ for anything less, or --out): benchmark-report.md, throughput.svg and BenchmarkDotNet's JSON and CSV
// exports. Returns 0 on success, 1 when BenchmarkDotNet reports errors, 2 on bad options.
// The command line (bench/Cli/BenchmarkEntry.cs) builds the options.
using System.Diagnostics;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Exporters.Csv;
using BenchmarkDotNet.Exporters.Json;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Parameters;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using BnVerify.Checking;
using Perfolizer.Horology;

namespace BnVerify.Bench.Benchmarks;

/// <summary>What one suite run covers: the names timed (implementations, kernel variants and yardsticks), the shapes, and the workers of the multi-core kernels.</summary>
public sealed record SuitePlan(IReadOnlyList<string> Ids, IReadOnlyList<string> Shapes, int Threads);

/// <summary>
/// The benchmark suite: verdicts from the checker, the BenchmarkDotNet run, the paired roofline, the report, the chart and
/// the exports. Each run's plan travels in its own benchmark cases' parameters (<see cref="Cases"/>), never through
/// process-wide state, so two suites, or a suite and a test, can run in one process.
/// </summary>
public static class BenchmarkSuite
{
    /// <summary>The id of the baseline every row's ratio refers to.</summary>
    public const string BaselineId = "seed001-staged";

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

    /// <summary>The plan of a run: the chosen implementations of the chosen types, each variant with the kernel it comes from, then the yardsticks.</summary>
    public static SuitePlan Plan(BenchmarkOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var types = options.EffectiveTypes;
        foreach (var s in options.EffectiveShapes) BenchmarkOptions.ParseShape(s);
        var variants = (options.Variants ?? []).Select(KernelVariant.Parse).ToList();
        var chosen = options.Impls is { Count: > 0 }
            ? options.Impls.Where(id => !BenchTargets.IsYardstick(id)).Select(id => BuiltIn.Implementations.Get(id)).ToList()
            : BuiltIn.Implementations.All.Where(i => i.Info.Family != Family.Mutant).ToList();
        var ids = chosen.Select(i => i.Info.Id)
            .Concat(variants.Select(v => v.Id))
            .Distinct()
            .Where(id => types.Contains(BenchTargets.TypeOf(id)))
            .Concat(variants.Select(v => v.Name).Where(name => types.Contains(BenchTargets.TypeOf(name))))
            .Concat(types.SelectMany(BenchTargets.Yardsticks))
            .ToList();
        return new SuitePlan(ids, options.EffectiveShapes, options.EffectiveThreads);
    }

    private static int Run(BenchmarkOptions options)
    {
        var clock = Stopwatch.StartNew();
        var plan = Plan(options);
        var implementations = plan.Ids.Where(id => !BenchTargets.IsYardstick(id)).ToList();

        Console.WriteLine($"Checking {implementations.Count} implementations before benchmarking...");
        var verdicts = implementations.ToDictionary(id => id, id => Verify(BenchTargets.Resolve(id, plan.Threads)));
        foreach (var (id, v) in verdicts) Console.WriteLine($"  {id,-26} {(v ? "correct" : "FLAWED")}");

        string root = RepositoryRoot();
        string output = options.EffectiveOutputDirectory(root);
        // A folder of its own per run: BenchmarkDotNet names its exports after the benchmark type, so two runs sharing
        // one folder (two suites in one process) would copy each other's files.
        string artifacts = Path.Combine(root, "BenchmarkDotNet.Artifacts", $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..8]}");
        var config = Config(options.Quick, artifacts);
        var summary = BenchmarkRunner.Run(Cases(plan, config));
        Directory.CreateDirectory(output);

        int rounds = options.EffectivePairedRounds;
        Console.WriteLine($"Paired roofline: the fast kernels and the bandwidth yardsticks timed back to back, {rounds} rounds per type and shape...");
        var paired = PairedRoofline.Measure(plan, rounds, seed: 20261201, progress: Console.WriteLine);

        var rows = ReportWriter.Rows(summary, verdicts, paired.Percent);
        string command = "dotnet run -c Release --project bench" + Describe(options);
        var chosen = implementations.Where(id => !KernelVariant.IsVariant(id)).Select(id => BuiltIn.Implementations.Get(id)).ToList();
        File.WriteAllText(Path.Combine(output, "benchmark-report.md"),
            ReportWriter.Markdown(rows, summary, plan, command, clock.Elapsed, ReportWriter.Variants(paired.Variants) + ReportWriter.Verification(chosen)));
        ChartWriter.WriteSvg(rows, plan.Shapes, Path.Combine(output, "throughput.svg"));
        foreach (var file in Directory.GetFiles(summary.ResultsDirectoryPath).Where(f => f.EndsWith(".json", StringComparison.Ordinal) || f.EndsWith(".csv", StringComparison.Ordinal)))
            File.Copy(file, Path.Combine(output, Path.GetFileName(file)), overwrite: true);
        Console.WriteLine($"Report written to {output} in {clock.Elapsed.TotalMinutes:F1} min.");
        return summary.HasCriticalValidationErrors || summary.Reports.Any(r => !r.Success) ? 1 : 0;
    }

    /// <summary>
    /// The BenchmarkDotNet run of <paramref name="plan"/>: one case per (shape, name), each carrying its own values of
    /// <see cref="BackwardBenchmarks.Shape"/>, <see cref="BackwardBenchmarks.Impl"/> and <see cref="BackwardBenchmarks.Threads"/>
    /// as parameter instances (built here rather than by a parameter source, which could only read a static).
    /// </summary>
    public static BenchmarkRunInfo Cases(SuitePlan plan, IConfig config)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(config);
        var template = BenchmarkConverter.TypeToBenchmarks(typeof(BackwardBenchmarks), config).BenchmarksCases.Single();
        var style = SummaryStyle.Default;
        var shape = new ParameterDefinition(nameof(BackwardBenchmarks.Shape), false, [.. plan.Shapes], false, typeof(string), 0);
        var impl = new ParameterDefinition(nameof(BackwardBenchmarks.Impl), false, [.. plan.Ids], false, typeof(string), 0);
        var threads = new ParameterDefinition(nameof(BackwardBenchmarks.Threads), false, [plan.Threads], false, typeof(int), 0);
        var cases = plan.Shapes.SelectMany(s => plan.Ids.Select(id => BenchmarkCase.Create(template.Descriptor, template.Job,
                new ParameterInstances([new ParameterInstance(shape, s, style), new ParameterInstance(impl, id, style), new ParameterInstance(threads, plan.Threads, style)]),
                template.Config)))
            .ToArray();
        return new BenchmarkRunInfo(cases, typeof(BackwardBenchmarks), template.Config);
    }

    private static string Describe(BenchmarkOptions o)
    {
        var parts = new List<string>();
        if (o.Quick) parts.Add("--quick");
        if (o.Impls is { Count: > 0 }) parts.Add("--impl " + string.Join(' ', o.Impls));
        if (o.Types is { Count: > 0 }) parts.Add("--type " + string.Join(' ', o.Types));
        if (o.Shapes is { Count: > 0 }) parts.Add("--shape " + string.Join(' ', o.Shapes));
        if (o.Threads is not null) parts.Add($"--threads {o.Threads}");
        if (o.Variants is { Count: > 0 }) parts.Add("--variant " + string.Join(' ', o.Variants));
        if (o.PairedRounds is not null) parts.Add($"--rounds {o.PairedRounds}");
        return parts.Count == 0 ? "" : " -- " + string.Join(' ', parts);
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

    /// <summary>The checker's verdict: correct when <see cref="GradientChecker.Check"/> passes on a few random problems.</summary>
    public static bool Verify(IBatchNormBackward impl)
    {
        ArgumentNullException.ThrowIfNull(impl);
        var r = new Random(42);
        foreach (var (n, d, offset) in new[] { (6, 4, 0.0), (40, 7, 3.0), (300, 33, 0.0) })
        {
            var x = new double[n * d];
            var dout = new double[n * d];
            var gamma = new double[d];
            var beta = new double[d];
            for (int j = 0; j < d; j++) (gamma[j], beta[j]) = (0.5 + r.NextDouble(), GradientChecker.Gaussian(r));
            for (int k = 0; k < n * d; k++) (x[k], dout[k]) = (offset + GradientChecker.Gaussian(r), GradientChecker.Gaussian(r));
            try
            {
                if (!GradientChecker.Check(impl, new BatchNormProblem(n, d, x, gamma, beta, 1e-5, dout)).Pass) return false;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Builds the inputs of (name, shape) and returns the call to measure (<see cref="BenchTargets.Bind"/>).</summary>
    public static Action Bind(string id, string shape, int threads) => BenchTargets.Bind(id, shape, threads);

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "BnVerify.sln"))) return dir.FullName;
        return Directory.GetCurrentDirectory();
    }
}
