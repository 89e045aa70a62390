namespace BnVerify.Bench.Benchmarks;

/// <summary>
/// What the benchmark suite runs. Empty lists mean "the default". The command line (bench/Cli/BenchmarkEntry.cs)
/// builds it from <c>--quick</c>, <c>--impl ID...</c>, <c>--type f32|f64</c>, <c>--shape NxD...</c>, <c>--threads K</c>, <c>--out DIR</c>,
/// <c>--variant ID:KEY=VALUE...</c>, <c>--rounds N</c>, <c>--assembly PATH...</c>, <c>--allow-debug</c>; <see cref="BenchmarkChecks"/>
/// checks it before any work.
/// </summary>
/// <param name="Quick">The short suite (three shapes, fewer iterations; a few minutes).</param>
/// <param name="Impls">Implementation ids to run (default: every registered non-mutant implementation).</param>
/// <param name="Types">"f32" and/or "f64" (default: both).</param>
/// <param name="Shapes">
/// Shapes "NxD" or "NxCxHxW" (default: 64x256, 1024x512, 4096x1024, 16384x1024 and the convolution-network shapes
/// 32x64x56x56, 32x256x14x14, 256x512x7x7; quick: 64x256, 4096x1024, 32x256x14x14).
/// </param>
/// <param name="Threads">Worker count of the multi-core implementations and the multi-core bandwidth kernel (default: processor count).</param>
/// <param name="OneDnnLibraryName">The library oneDNN, the peer, is loaded from (default <c>libdnnl.so.2</c>); a name that does not exist leaves the peer out with a one-line reason.</param>
/// <param name="OutputDirectory">
/// Where the report, chart and exports go. Default: <c>reports/</c> at the repository root for the full default suite (the
/// committed report), <see cref="PartialFolder"/> (ignored by git) for anything less, so a quick or filtered run never
/// overwrites the committed report.
/// </param>
/// <param name="Variants">Kernel variants (<see cref="KernelVariant"/>, <c>ID:KEY=VALUE,...</c>) measured beside the kernel each comes from.</param>
/// <param name="PairedRounds">Rounds of the paired roofline per type and shape (default 15; quick: 5).</param>
/// <param name="Implementations">
/// The implementations the run can time by id (default <see cref="BuiltIn.Implementations"/>); the command line adds those
/// of every <c>--assembly</c>.
/// </param>
/// <param name="Assemblies">The <c>--assembly</c> paths <paramref name="Implementations"/> was loaded from, as the user gave them (for the report's command line).</param>
/// <param name="AllowDebug">Benchmark even when BnVerify is a Debug build (<c>--allow-debug</c>); the report then says so.</param>
/// <param name="Dry">
/// A dry run (<c>--dry</c>): every benchmark and paired round is called, but once, with BenchmarkDotNet's Dry job (no pilot,
/// no warm-up, one iteration of one call), so the run checks its wiring — ids, assemblies, shapes, peers, report and chart —
/// in seconds. Its times are single cold calls, not measurements; the report says so at its top.
/// </param>
public sealed record BenchmarkOptions(
    bool Quick = false,
    IReadOnlyList<string>? Impls = null,
    IReadOnlyList<string>? Types = null,
    IReadOnlyList<string>? Shapes = null,
    int? Threads = null,
    string? OutputDirectory = null,
    string? OneDnnLibraryName = null,
    IReadOnlyList<string>? Variants = null,
    int? PairedRounds = null,
    Registry? Implementations = null,
    IReadOnlyList<string>? Assemblies = null,
    bool AllowDebug = false,
    bool Dry = false)
{
    /// <summary>Where a quick, filtered or otherwise partial run writes by default, relative to the repository root (listed in .gitignore).</summary>
    public static readonly string PartialFolder = Path.Combine("reports", "partial");

    /// <summary>True for the full default suite: no option that narrows, shortens or changes it (the run whose report is committed).</summary>
    public bool IsFull => !Quick && Impls is not { Count: > 0 } && Types is not { Count: > 0 } && Shapes is not { Count: > 0 }
                          && Threads is null && Variants is not { Count: > 0 } && PairedRounds is null && OneDnnLibraryName is null
                          && Implementations is null && Assemblies is not { Count: > 0 } && !AllowDebug && !Dry;

    /// <summary>The implementations the run can time: <see cref="Implementations"/>, or the built-in ones.</summary>
    public Registry EffectiveImplementations => Implementations ?? BuiltIn.Implementations;

    /// <summary>The paired roofline's rounds per type and shape (a dry run: the fewest the median and quartiles need, 2).</summary>
    public int EffectivePairedRounds => PairedRounds is > 0 ? PairedRounds.Value : Dry ? 2 : Quick ? 5 : 15;

    /// <summary>The output folder: <see cref="OutputDirectory"/> if given, else reports/ for the full suite and <see cref="PartialFolder"/> otherwise.</summary>
    public string EffectiveOutputDirectory(string repositoryRoot) =>
        Path.GetFullPath(OutputDirectory ?? Path.Combine(repositoryRoot, IsFull ? "reports" : PartialFolder));

    /// <summary>
    /// The default full-suite shapes: 2-D, one tiny (in L1/L2), one in the last-level cache, two far larger than it; then
    /// spatial batches where batch norm follows a convolution in a ResNet-style network (early, middle and late stages:
    /// 6.4, 1.6 and 6.4 million values, all larger than the last-level cache).
    /// </summary>
    public static readonly string[] DefaultShapes = ["64x256", "1024x512", "4096x1024", "16384x1024", "32x64x56x56", "32x256x14x14", "256x512x7x7"];

    /// <summary>The quick-suite shapes.</summary>
    public static readonly string[] QuickShapes = ["64x256", "4096x1024", "32x256x14x14"];

    /// <summary>The shapes to run.</summary>
    public IReadOnlyList<string> EffectiveShapes => Shapes is { Count: > 0 } ? Shapes : Quick ? QuickShapes : DefaultShapes;

    /// <summary>The element types to run ("f32", "f64").</summary>
    public IReadOnlyList<string> EffectiveTypes => Types is { Count: > 0 } ? Types : ["f64", "f32"];

    /// <summary>Worker count for the multi-core implementations.</summary>
    public int EffectiveThreads => Threads is > 0 ? Threads.Value : Environment.ProcessorCount;

    /// <summary>
    /// Parses "16384x1024" (N×D) or "32x64x56x56" (N×C×H×W, or with ×) into the rows and columns of the canonical view:
    /// (N, D), or (N·H·W, C) for a spatial shape — the same 5·rows·columns elements move either way.
    /// </summary>
    public static (int N, int D) ParseShape(string shape)
    {
        if (Spatial(shape) is { } s) return (s.Rows, s.C);
        var parts = shape.Split('x', '×', 'X');
        if (parts.Length != 2 || !int.TryParse(parts[0], out int n) || !int.TryParse(parts[1], out int d) || n <= 0 || d <= 0)
            throw new FormatException($"shape '{shape}' is not NxD or NxCxHxW with every extent ≥ 1 (for example 16384x1024 or 32x64x56x56).");
        return (n, d);
    }

    /// <summary>The N×C×H×W of a spatial shape "32x64x56x56"; null for a 2-D "NxD" one. Throws <see cref="FormatException"/> on a malformed 4-part shape.</summary>
    public static SpatialShape? Spatial(string shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var parts = shape.Split('x', '×', 'X');
        if (parts.Length != 4) return null;
        var e = new int[4];
        for (int k = 0; k < 4; k++)
            if (!int.TryParse(parts[k], out e[k]) || e[k] <= 0)
                throw new FormatException($"shape '{shape}' is not NxCxHxW with every extent ≥ 1 (for example 32x64x56x56).");
        var s = new SpatialShape(e[0], e[1], e[2], e[3]);
        if (s.Count > Array.MaxLength) throw new FormatException($"shape '{shape}' has {s.Count} values, too many for one array.");
        return s;
    }
}
