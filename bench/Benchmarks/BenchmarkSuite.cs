// Entry point of the benchmark suite, for the command line:
//
//     public static Task<int> BenchmarkSuite.RunAsync(BenchmarkOptions options)
//
// Runs BenchmarkDotNet (in-process) over the chosen implementations, kernel variants, types and shapes, then the paired
// roofline, then writes to options.EffectiveOutputDirectory (reports/ at the repository root for the full default suite,
// reports/partial/ for anything less, or --out): benchmark-report.md, throughput.svg and BenchmarkDotNet's JSON and CSV
// exports. Returns 0 on success, 1 when BenchmarkDotNet reports errors, 2 on bad options (BenchmarkChecks, before any
// work: nothing is written then) or on a Debug build without options.AllowDebug.
// With float32 in the run, oneDNN joins as a peer (bench/Peers/): rows onednn-f32 and onednn-parallel-f32 (channels last),
// and at N×C×H×W shapes onednn-nchw-f32 and onednn-nchw-parallel-f32, checked by the same checker, timed by BenchmarkDotNet
// and in the paired rounds; when the library is missing the report says so in one line.
// The command line (bench/Cli/BenchmarkEntry.cs) builds the options.
using System.Diagnostics;
using System.Globalization;
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
using BnVerify.Bench.Peers;
using BnVerify.Checking;
using BnVerify.Verification;
using Perfolizer.Horology;

namespace BnVerify.Bench.Benchmarks;

/// <summary>
/// What one suite run covers: the names timed (implementations, kernel variants, peers and yardsticks), the shapes, the
/// workers of the multi-core kernels, the loaded peers, and the registry the implementation ids come from.
/// </summary>
/// <param name="Ids">Implementation ids, variant names, peer ids and yardstick ids, in run order.</param>
/// <param name="Shapes">Shapes "NxD" or "NxCxHxW".</param>
/// <param name="Threads">Worker count of the multi-core rows.</param>
/// <param name="Peers">The peers of this run (oneDNN), or null for none.</param>
/// <param name="Implementations">The registry of the implementation ids (null: <see cref="BuiltIn.Implementations"/>).</param>
public sealed record SuitePlan(IReadOnlyList<string> Ids, IReadOnlyList<string> Shapes, int Threads, PeerSet? Peers = null, Registry? Implementations = null)
{
    /// <summary>The peers of this run (<see cref="PeerSet.None"/> when there are none).</summary>
    public PeerSet PeerRows => Peers ?? PeerSet.None;

    /// <summary>The registry of the implementation ids: <see cref="Implementations"/>, or the built-in ones.</summary>
    public Registry Registered => Implementations ?? BuiltIn.Implementations;

    /// <summary>The thread count a row runs on: the run's for multi-core rows, 1 for the others.</summary>
    public int ThreadsOf(string id) => BenchTargets.IsMultiCore(id, Threads, Registered) ? Threads : 1;
}

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
            // Every option is checked before any work: a bad one is one line, exit 2, nothing written.
            if (BenchmarkChecks.Problem(options, BenchmarkChecks.IsDebugBuild, BenchmarkChecks.MachineMemoryBytes) is { } problem)
            {
                Console.Error.WriteLine(problem);
                return Task.FromResult(2);
            }
            return Task.FromResult(Run(options, BenchmarkChecks.IsDebugBuild));
        }
        catch (Exception e) when (e is FormatException or KeyNotFoundException)
        {
            Console.Error.WriteLine(e.Message);
            return Task.FromResult(2);
        }
    }

    /// <summary>
    /// The plan of a run: the chosen implementations of the chosen types (from <see cref="BenchmarkOptions.EffectiveImplementations"/>;
    /// one that cannot be timed, <see cref="Untimable"/>, is left out), each variant with the kernel it comes from, the
    /// loaded peers of the chosen types (oneDNN is float32) that apply at one of the shapes at least (the NCHW peers need an
    /// N×C×H×W shape), then the yardsticks.
    /// </summary>
    public static SuitePlan Plan(BenchmarkOptions options, PeerSet? peers = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var types = options.EffectiveTypes;
        var registry = options.EffectiveImplementations;
        foreach (var s in options.EffectiveShapes) BenchmarkOptions.ParseShape(s);
        var variants = (options.Variants ?? []).Select(KernelVariant.Parse).ToList();
        var ids = Chosen(options).Where(BenchTargets.IsTimable).Select(i => i.Info.Id)
            .Concat(variants.Select(v => v.Id))
            .Distinct()
            .Where(id => types.Contains(BenchTargets.TypeOf(id, registry)))
            .Concat(variants.Select(v => v.Name).Where(name => types.Contains(BenchTargets.TypeOf(name, registry))))
            .Concat((peers ?? PeerSet.None).Peers.Select(p => p.Info.Id)
                .Where(id => types.Contains(BenchTargets.TypeOf(id)) && options.EffectiveShapes.Any(shape => PeerSet.AppliesAt(id, shape))))
            .Concat(types.SelectMany(BenchTargets.Yardsticks))
            .ToList();
        return new SuitePlan(ids, options.EffectiveShapes, options.EffectiveThreads, peers, options.Implementations);
    }

    /// <summary>The implementations chosen by <see cref="BenchmarkOptions.Impls"/>, or every one but the mutants.</summary>
    private static List<IBatchNormBackward> Chosen(BenchmarkOptions options)
    {
        var registry = options.EffectiveImplementations;
        return options.Impls is { Count: > 0 }
            ? options.Impls.Where(id => !BenchTargets.IsYardstick(id) && !PeerSet.IsPeer(id)).Distinct().Select(registry.Get).ToList()
            : registry.All.Where(i => i.Info.Family != Family.Mutant).ToList();
    }

    /// <summary>
    /// The chosen implementations that cannot be timed and so are left out of the plan, with the reason: a class whose
    /// constructor threw (<see cref="UnconstructibleBackward"/>), or one that computes in neither float32 nor float64.
    /// </summary>
    public static IReadOnlyList<(string Id, string Reason)> Untimable(BenchmarkOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Chosen(options).Where(i => !BenchTargets.IsTimable(i))
            .Select(i => (i.Info.Id, i is UnconstructibleBackward ? "its constructor threw, so there is nothing to time" : $"it computes in {i.ElementType.Name}, not float32 or float64"))
            .ToList();
    }

    private static int Run(BenchmarkOptions options, bool debugBuild)
    {
        var clock = Stopwatch.StartNew();
        if (debugBuild)
            Console.WriteLine("Debug build (--allow-debug): the JIT optimizations are off, so these timings are not those of the Release code; the report says so.");
        // The peers (oneDNN, float32 only) join every run that includes float32, as the yardsticks do; a missing library
        // leaves them out with a one-line reason, and the rest runs.
        using var peers = options.EffectiveTypes.Contains("f32")
            ? PeerSet.Load(options.EffectiveThreads, options.OneDnnLibraryName ?? OneDnnLibrary.DefaultLibraryName)
            : PeerSet.None;
        var plan = Plan(options, peers);
        var registry = plan.Registered;
        if (options.EffectiveTypes.Contains("f32")) Console.WriteLine(ReportWriter.PeerLine(peers, plan.Threads));
        foreach (var (id, reason) in Untimable(options)) Console.WriteLine($"  {id}: not benchmarked: {reason}");
        var implementations = plan.Ids.Where(id => !BenchTargets.IsYardstick(id)).ToList();

        Console.WriteLine($"Checking {implementations.Count} implementations before benchmarking...");
        var verdicts = Verify(implementations, implementations.Select(id => PeerSet.IsPeer(id) ? peers.Get(id) : BenchTargets.Resolve(id, plan.Threads, registry)).ToList());
        int idWidth = verdicts.Count == 0 ? 0 : verdicts.Max(v => v.Key.Length);
        foreach (var (id, v) in verdicts) Console.WriteLine($"  {id.PadRight(idWidth)} {(v ? "correct" : "FLAWED")}");

        string root = RepositoryRoot();
        string output = options.EffectiveOutputDirectory(root);
        // A folder of its own per run: BenchmarkDotNet names its exports after the benchmark type, so two runs sharing
        // one folder (two suites in one process) would copy each other's files.
        string artifacts = Path.Combine(root, "BenchmarkDotNet.Artifacts", $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..8]}");
        var config = Config(options.Quick, options.Dry, artifacts);
        var summary = BenchmarkRunner.Run(Cases(plan, config));
        Directory.CreateDirectory(output);

        int rounds = options.EffectivePairedRounds;
        Console.WriteLine($"Paired roofline: the fast kernels and the bandwidth yardsticks timed back to back, {rounds} rounds per type and shape...");
        var paired = PairedRoofline.Measure(plan, rounds, seed: 20261201, progress: Console.WriteLine);

        var rows = ReportWriter.Rows(summary, verdicts, paired.Percent, registry);
        string command = CommandLine(options, release: !debugBuild);
        var chosen = implementations.Where(id => !KernelVariant.IsVariant(id) && !PeerSet.IsPeer(id)).Select(registry.Get).ToList();
        File.WriteAllText(Path.Combine(output, "benchmark-report.md"),
            ReportWriter.Markdown(rows, summary, plan, command, clock.Elapsed, ReportWriter.Variants(paired.Variants) + ReportWriter.Verification(chosen, verdicts, mutationScore: !options.Dry), paired.PeerRatios, debugBuild));
        ChartWriter.WriteSvg(rows, plan.Shapes, Path.Combine(output, "throughput.svg"));
        foreach (var file in Directory.GetFiles(summary.ResultsDirectoryPath).Where(f => f.EndsWith(".json", StringComparison.Ordinal) || f.EndsWith(".csv", StringComparison.Ordinal)))
            File.Copy(file, Path.Combine(output, Path.GetFileName(file)), overwrite: true);
        foreach (var line in ReportWriter.PeerSummary(rows, paired.PeerRatios, plan)) Console.WriteLine(line);
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
        var peers = new ParameterDefinition(nameof(BackwardBenchmarks.Peers), false, [plan.PeerRows], false, typeof(PeerSet), 0);
        var impl = new ParameterDefinition(nameof(BackwardBenchmarks.Impl), false, [.. plan.Ids], false, typeof(string), 0);
        var threads = new ParameterDefinition(nameof(BackwardBenchmarks.Threads), false, [plan.Threads], false, typeof(int), 0);
        var registry = new ImplementationSet(plan.Registered);
        var implementations = new ParameterDefinition(nameof(BackwardBenchmarks.Implementations), false, [registry], false, typeof(ImplementationSet), 0);
        var cases = plan.Shapes.SelectMany(s => plan.Ids.Where(id => PeerSet.AppliesAt(id, s)).Select(id => BenchmarkCase.Create(template.Descriptor, template.Job,
                new ParameterInstances([
                    new ParameterInstance(shape, s, style), new ParameterInstance(impl, id, style), new ParameterInstance(threads, plan.Threads, style),
                    new ParameterInstance(peers, plan.PeerRows, style), new ParameterInstance(implementations, registry, style),
                ]),
                template.Config)))
            .ToArray();
        return new BenchmarkRunInfo(cases, typeof(BackwardBenchmarks), template.Config);
    }

    /// <summary>
    /// The command that runs <paramref name="options"/> from the repository root, as the report's "Command:" line shows it:
    /// <c>dotnet run -c Release --project bench -- OPTIONS</c> (without <c>-c Release</c> when the build was not Release),
    /// every option the run was given (<c>--quick</c>, <c>--dry</c>, <c>--impl</c>, <c>--type</c>, <c>--shape</c>, <c>--threads</c>,
    /// <c>--variant</c>, <c>--rounds</c>, <c>--assembly</c>, <c>--out</c>, <c>--allow-debug</c>), values quoted for a POSIX shell where needed.
    /// </summary>
    public static string CommandLine(BenchmarkOptions options, bool release)
    {
        ArgumentNullException.ThrowIfNull(options);
        var o = options;
        var parts = new List<string>();
        void Add(string option, IEnumerable<string> values) => parts.Add(option + string.Concat(values.Select(v => " " + ShellQuote(v))));
        if (o.Quick) parts.Add("--quick");
        if (o.Dry) parts.Add("--dry");
        if (o.Impls is { Count: > 0 }) Add("--impl", o.Impls);
        if (o.Types is { Count: > 0 }) Add("--type", o.Types);
        if (o.Shapes is { Count: > 0 }) Add("--shape", o.Shapes);
        if (o.Threads is not null) parts.Add(string.Create(CultureInfo.InvariantCulture, $"--threads {o.Threads}"));
        if (o.Variants is { Count: > 0 }) Add("--variant", o.Variants);
        if (o.PairedRounds is not null) parts.Add(string.Create(CultureInfo.InvariantCulture, $"--rounds {o.PairedRounds}"));
        foreach (var path in o.Assemblies ?? []) Add("--assembly", [path]);
        if (o.OutputDirectory is not null) Add("--out", [o.OutputDirectory]);
        if (o.AllowDebug) parts.Add("--allow-debug");
        return "dotnet run " + (release ? "-c Release " : "") + "--project bench" + (parts.Count == 0 ? "" : " -- " + string.Join(' ', parts));
    }

    /// <summary><paramref name="value"/> as one word of a POSIX shell: unchanged when it holds only safe characters, else in single quotes.</summary>
    private static string ShellQuote(string value) =>
        value.Length > 0 && value.All(ch => char.IsAsciiLetterOrDigit(ch) || "-_./:=,+@%×".Contains(ch, StringComparison.Ordinal))
            ? value
            : "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>
    /// In-process (no child process to build and start: the suite starts fast and shares the input cache between cases;
    /// the measured code is the same JIT-compiled Release code). Iterations are few but each lasts ≥ 150 ms, so a fast
    /// kernel runs many invocations per iteration while a slow allocating seed runs one; the median of the iterations ranks the
    /// implementations and the best iteration gives the bandwidth (see <see cref="BenchRow.GBps"/>). The full suite takes 15
    /// iterations so that the best of them is rarely one disturbed by other work (about 7 minutes in all on the 2-core VM, with the paired roofline).
    /// A dry run (<see cref="BenchmarkOptions.Dry"/>) takes BenchmarkDotNet's Dry job instead: one cold call per benchmark.
    /// </summary>
    private static IConfig Config(bool quick, bool dry, string artifacts)
    {
        var job = dry
            ? Job.Dry.WithToolchain(InProcessEmitToolchain.Instance).WithId(ReportWriter.DryJobId)
            : Job.Default
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

    /// <summary>
    /// The verdicts shown beside the timings, keyed by the names timed (<paramref name="names"/>, which name a variant by its
    /// settings where the implementation's own id does not): the verifier on 20 fixed-seed random cases and the golden
    /// cases, no shrinking or diagnosis.
    /// </summary>
    public static IReadOnlyDictionary<string, bool> Verify(IReadOnlyList<string> names, IReadOnlyList<IBatchNormBackward> implementations)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(implementations);
        var options = new VerifierOptions { Cases = 20, Seed = 42, Shrink = false, Diagnose = false };
        var reports = Verifier.Run(implementations, options);
        return names.Select((name, i) => (name, reports[i].Found == Verdict.Correct)).ToDictionary(v => v.name, v => v.Item2);
    }

    /// <summary>Builds the inputs of (name, shape) and returns the call to measure (<see cref="BenchTargets.Bind"/>).</summary>
    public static Action Bind(string id, string shape, int threads, PeerSet? peers = null, Registry? registry = null) => BenchTargets.Bind(id, shape, threads, peers, registry);

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "BnVerify.sln"))) return dir.FullName;
        return Directory.GetCurrentDirectory();
    }
}
