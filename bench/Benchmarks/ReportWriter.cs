using BnVerify.Verification;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text;
using BenchmarkDotNet.Reports;
using BnVerify.Bench.Peers;

namespace BnVerify.Bench.Benchmarks;

/// <summary>One measured row: an implementation (or yardstick) at one shape, with the derived figures.</summary>
/// <param name="Id">Implementation id or yardstick id.</param>
/// <param name="Type">"f32" or "f64".</param>
/// <param name="Shape">"NxD".</param>
/// <param name="Verdict">"correct", "FLAWED" (from the checker; implementations and peers) or "yardstick".</param>
/// <param name="MedianNs">Median time per call, ns (NaN when the case failed).</param>
/// <param name="BestNs">Best (minimum) time per call over the iterations, ns (NaN when the case failed).</param>
/// <param name="AllocatedBytes">Bytes allocated per call (null when unknown).</param>
/// <param name="Bytes">5·N·D·sizeof(T): the bytes an exact two-pass backward must move.</param>
/// <param name="MultiCore">True when the row uses several threads.</param>
public sealed record BenchRow(string Id, string Type, string Shape, string Verdict, double MedianNs, double BestNs, long? AllocatedBytes, long Bytes, bool MultiCore)
{
    /// <summary>
    /// Throughput in GB/s (10^9 bytes): <see cref="Bytes"/> / best time. The best time, as STREAM reports bandwidth: on a
    /// shared machine other work only ever slows a memory-bound pass down, and the kernels and the yardsticks are measured in
    /// different windows of the run, so their best times compare like with like where their medians pick up whoever else
    /// was using the memory bus at the time.
    /// </summary>
    public double GBps => Bytes / BestNs;

    /// <summary>Median time relative to the baseline's at the same shape (time / baseline time; below 1 is faster); set by <see cref="ReportWriter.Rows"/>.</summary>
    public double Ratio { get; init; } = double.NaN;

    /// <summary>Percent of the roofline (the yardstick's GB/s at the same type and shape); set by <see cref="ReportWriter.Rows"/>.</summary>
    public double RooflinePercent { get; init; } = double.NaN;

    /// <summary>Percent of the roofline from paired rounds (<see cref="PairedRoofline"/>), for the fast kernels; null for other rows.</summary>
    public PairedPercent? Paired { get; init; }

    /// <summary>True for a correct implementation or peer (may be ranked).</summary>
    public bool Rankable => Verdict == "correct" && double.IsFinite(MedianNs);

    /// <summary>True for a peer's row (another library, e.g. oneDNN), not a BnVerify implementation.</summary>
    public bool Peer => PeerSet.IsPeer(Id);

    /// <summary>The memory order timed (<see cref="BenchTargets.LayoutOf"/>): "ND", "NCHW", "NHWC", or "—" for a yardstick; set by <see cref="ReportWriter.Rows"/>.</summary>
    public string Layout { get; init; } = "ND";
}

/// <summary>Turns the BenchmarkDotNet summary into rows and the markdown ranking.</summary>
public static class ReportWriter
{
    /// <summary>Rows with ratio to baseline and percent of roofline filled in; ids are looked up in <paramref name="registry"/> (default: the built-in implementations).</summary>
    public static IReadOnlyList<BenchRow> Rows(Summary summary, IReadOnlyDictionary<string, bool> verdicts,
        IReadOnlyDictionary<(string Id, string Shape), PairedPercent> paired, Registry? registry = null)
    {
        ArgumentNullException.ThrowIfNull(paired);
        ArgumentNullException.ThrowIfNull(summary);
        ArgumentNullException.ThrowIfNull(verdicts);
        var raw = new List<BenchRow>();
        foreach (var report in summary.Reports)
        {
            string id = (string)report.BenchmarkCase.Parameters[nameof(BackwardBenchmarks.Impl)];
            string shape = (string)report.BenchmarkCase.Parameters[nameof(BackwardBenchmarks.Shape)];
            int threads = (int)report.BenchmarkCase.Parameters[nameof(BackwardBenchmarks.Threads)];
            var (n, d) = BenchmarkOptions.ParseShape(shape);
            string type = BenchTargets.TypeOf(id, registry);
            string verdict = BenchTargets.IsYardstick(id) ? "yardstick" : verdicts.TryGetValue(id, out bool ok) && ok ? "correct" : "FLAWED";
            double median = report.ResultStatistics?.Median ?? double.NaN;
            double best = report.ResultStatistics?.Min ?? double.NaN;
            long? allocated = report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase);
            raw.Add(new BenchRow(id, type, shape, verdict, median, best, allocated, 5L * n * d * (type == "f32" ? 4 : 8), BenchTargets.IsMultiCore(id, threads, registry)));
        }
        var result = new List<BenchRow>();
        foreach (var row in raw)
        {
            var baseline = raw.FirstOrDefault(r => r.Id == BenchmarkSuite.BaselineId && r.Shape == row.Shape);
            var (single, multi) = Roofline(raw, row.Type, row.Shape);
            double roof = row.MultiCore ? multi : single;
            result.Add(row with
            {
                Ratio = baseline is null ? double.NaN : row.MedianNs / baseline.MedianNs,
                RooflinePercent = 100 * row.GBps / roof,
                Paired = paired.TryGetValue((row.Id, row.Shape), out var p) ? p : null,
                Layout = BenchTargets.LayoutOf(row.Id, row.Shape, registry),
            });
        }
        return result;
    }

    /// <summary>The streaming bandwidth (GB/s) at a type and shape: best one-thread yardstick, and best of all yardsticks.</summary>
    public static (double Single, double Multi) Roofline(IEnumerable<BenchRow> rows, string type, string shape)
    {
        var sticks = rows.Where(r => r.Type == type && r.Shape == shape && r.Verdict == "yardstick" && double.IsFinite(r.MedianNs)).ToList();
        double single = sticks.Where(r => !r.MultiCore).Select(r => r.GBps).DefaultIfEmpty(double.NaN).Max();
        double multi = sticks.Select(r => r.GBps).DefaultIfEmpty(double.NaN).Max();
        return (single, multi);
    }

    /// <summary>
    /// The report's one line about the peer: which oneDNN, which implementation it chose and the peer rows; or, when it is
    /// missing, why and the install command.
    /// </summary>
    public static string PeerLine(PeerSet peers, int threads)
    {
        ArgumentNullException.ThrowIfNull(peers);
        if (peers.Unavailable is { } reason) return $"Peer: {reason}. The other rows run without it.";
        if (peers.Library is null) return "Peer: none (float32 is not in this run).";
        var impls = peers.Implementations;
        string rowsText = string.Join(", ", peers.Peers.Select(p => $"`{p.Info.Id}` ({p.Threads} thread{(p.Threads == 1 ? "" : "s")})"));
        return $"Peer: oneDNN {peers.Library.Version} ({peers.Library.Name}, OpenMP), float32 batch normalization with the batch described as " +
               $"{{N, C, H, W}} nhwc (an N×D batch as {{N, D, 1, 1}}), implementation `{impls?.Backward}` (backward) / `{impls?.Forward}` (forward, run once per shape for the statistics, not timed), " +
               $"and at N×C×H×W shapes also as {{N, C, H, W}} nchw, implementation `{peers.NchwImplementations?.Backward}` (backward); rows {rowsText}" +
               (threads > 1 ? "" : " (the run has one thread)");
    }

    /// <summary>
    /// One line per peer and shape for the console: the peer's time over the fastest BnVerify kernel of the same type and
    /// thread count (medians of the BenchmarkDotNet run, and the paired median with its interquartile range).
    /// </summary>
    public static IEnumerable<string> PeerSummary(IReadOnlyList<BenchRow> rows, IReadOnlyDictionary<(string Peer, string Kernel, string Shape), PairedRatio> ratios, SuitePlan plan)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(ratios);
        ArgumentNullException.ThrowIfNull(plan);
        var c = CultureInfo.InvariantCulture;
        foreach (var peer in rows.Where(r => r.Peer))
        {
            var against = PeerComparisons(rows, peer, plan).FirstOrDefault();
            if (against is null) continue;
            string paired = ratios.TryGetValue((peer.Id, against.Id, peer.Shape), out var p)
                ? string.Create(c, $"paired {p.Median:F3} (IQR {p.Q1:F3}–{p.Q3:F3}, {p.Rounds} rounds)")
                : "no paired rounds";
            yield return string.Create(c, $"  {peer.Id} / {against.Id} at {peer.Shape}, {plan.ThreadsOf(peer.Id)} thread(s): medians {peer.MedianNs / against.MedianNs:F3}, {paired} (above 1: BnVerify faster)");
        }
    }

    /// <summary>The BnVerify rows a peer row is compared with: same type, shape and thread count, correct, fastest first.</summary>
    public static IReadOnlyList<BenchRow> PeerComparisons(IReadOnlyList<BenchRow> rows, BenchRow peer, SuitePlan plan)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(peer);
        ArgumentNullException.ThrowIfNull(plan);
        return rows.Where(r => !r.Peer && r.Rankable && r.Type == peer.Type && r.Shape == peer.Shape && plan.ThreadsOf(r.Id) == plan.ThreadsOf(peer.Id))
            .OrderBy(r => r.MedianNs).ToList();
    }

    /// <summary>
    /// The markdown report; <paramref name="peerRatios"/> are the peers' paired ratios (<see cref="PairedRoofline"/>);
    /// <paramref name="debugBuild"/>: BnVerify was a Debug build (run with <c>--allow-debug</c>), said at the top in bold.
    /// </summary>
    public static string Markdown(IReadOnlyList<BenchRow> rows, Summary summary, SuitePlan plan, string command, TimeSpan elapsed, string verification,
        IReadOnlyDictionary<(string Peer, string Kernel, string Shape), PairedRatio>? peerRatios = null, bool debugBuild = false)
    {
        ArgumentNullException.ThrowIfNull(summary);
        return Markdown(rows, summary.BenchmarksCases.FirstOrDefault()?.Job.Id, plan, command, elapsed, verification, peerRatios, debugBuild);
    }

    /// <summary>
    /// The markdown report from rows alone (<paramref name="jobId"/>: BenchmarkDotNet's job, "quick", "suite" or <see cref="DryJobId"/>), as
    /// <see cref="Markdown(IReadOnlyList{BenchRow}, Summary, SuitePlan, string, TimeSpan, string, IReadOnlyDictionary{ValueTuple{string, string, string}, PairedRatio}?, bool)"/> writes it.
    /// </summary>
    public static string Markdown(IReadOnlyList<BenchRow> rows, string? jobId, SuitePlan plan, string command, TimeSpan elapsed, string verification,
        IReadOnlyDictionary<(string Peer, string Kernel, string Shape), PairedRatio>? peerRatios = null, bool debugBuild = false)
    {
        peerRatios ??= new Dictionary<(string, string, string), PairedRatio>();
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(plan);
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("# BnVerify benchmark report");
        sb.AppendLine();
        // The warnings that change how every figure below is read, first.
        string?[] warnings = [debugBuild ? DebugWarning : null, jobId == DryJobId ? DryWarning : null];
        foreach (var warning in warnings.OfType<string>())
            sb.AppendLine(warning).AppendLine();
        sb.AppendLine(c, $"- Command: `{command}` (run from the repository root; {elapsed.TotalMinutes:F1} min in all)");
        sb.AppendLine(c, $"- Build: {(debugBuild ? "**Debug** (JIT optimizations off; timings not representative)" : "Release")}");
        sb.AppendLine(c, $"- Date (UTC): {DateTime.UtcNow:yyyy-MM-dd HH:mm}");
        sb.AppendLine(c, $"- Machine: {CpuName()}, {Environment.ProcessorCount} logical cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}, SIMD width {BnVerify.Kernels.SimdWidth.Widest} bits");
        sb.AppendLine(c, $"- Load average (1/5/15 min) at the end of the run: {LoadAverage()} — other work shared these cores, so absolute figures vary from run to run; the yardsticks ran in the same conditions");
        sb.AppendLine(c, $"- BenchmarkDotNet {typeof(Summary).Assembly.GetName().Version}, in-process toolchain, job `{jobId}`; multi-core rows use {plan.Threads} threads");
        if (plan.PeerRows.Library is not null || plan.PeerRows.Unavailable is not null) sb.AppendLine(c, $"- {PeerLine(plan.PeerRows, plan.Threads)}");
        sb.AppendLine();
        sb.AppendLine("How to read the tables:");
        sb.AppendLine();
        sb.AppendLine("- **bytes** = 5·N·D·sizeof(T): an exact backward reads x and dout twice (two passes) and writes dx once.");
        sb.AppendLine("- **median**, **best** = median and minimum time per call over the measured iterations. Ranking and ratios use the median.");
        sb.AppendLine("- **GB/s** = bytes / best time (10^9 bytes per second). Like STREAM, bandwidth is taken from the best time: other work on this shared machine only slows a memory-bound pass, and each benchmark runs in its own window of the run, so best times compare the kernels with the yardsticks under like conditions.");
        sb.AppendLine("- **% roofline** = GB/s / streaming bandwidth, where the streaming bandwidth is the best GB/s of the bandwidth yardsticks at the same type and shape " +
                      "(the same memory pattern with no arithmetic: pass 1 sums x and dout, pass 2 writes dx = x + dout; ordinary or non-temporal stores). " +
                      "One-thread rows are compared with the one-thread yardsticks, multi-core rows with the best of all yardsticks (including `bandwidth-mt-*`).");
        sb.AppendLine("- **paired % roofline** (fast kernels): the same percentage measured in paired rounds after the BenchmarkDotNet run — each round times the yardsticks and the fast kernels back to back and divides the best yardstick's time by the kernel's; median over the rounds, with the interquartile range. BenchmarkDotNet measures one benchmark after another, minutes apart, and the bandwidth this shared machine leaves moves by ±20% over such spans; pairing cancels that drift, so this is the figure the targets are judged by.");
        sb.AppendLine(c, $"- **ratio** = median time / median time of `{BenchmarkSuite.BaselineId}` (float64) at the same shape; **speed-up** = 1/ratio.");
        sb.AppendLine("- **verdict** comes from the checker (`Verifier`: 20 random problems of a fixed seed and the golden cases) just before the run. FLAWED rows are listed but never ranked.");
        sb.AppendLine("- **allocated** = bytes allocated per call ([MemoryDiagnoser]).");
        sb.AppendLine("- **layout** (N×C×H×W shapes): the memory order the implementation computes in: NCHW (also the onednn-nchw-* peers), or NHWC for the rows × channels implementations (the N×D kernels on N·H·W rows) and the other oneDNN peers. All are timed on the same values against the same yardsticks; bytes = 5·N·C·H·W·sizeof(T).");
        sb.AppendLine("- **peer** rows (_(peer)_ after the id) are another library's backward (oneDNN), not BnVerify's: checked by the same checker and ranked with the others. " +
                      "Under each table, **peer / BnVerify** = the peer's time divided by a BnVerify kernel's of the same element type and thread count (above 1: BnVerify is faster): " +
                      "from the medians above, and **paired**: the median (interquartile range, extremes) of the per-round ratios of the paired rounds, where the two ran back to back in every round — the figure to judge by.");
        sb.AppendLine();

        sb.AppendLine("## Headline");
        sb.AppendLine();
        foreach (var line in Headline(rows, plan, peerRatios)) sb.AppendLine(line);
        sb.AppendLine();
        sb.Append(LayoutComparison(rows, plan));

        foreach (var type in new[] { "f64", "f32" })
            foreach (var shape in plan.Shapes)
            {
                var group = rows.Where(r => r.Type == type && r.Shape == shape).ToList();
                if (group.Count == 0) continue;
                var (single, multi) = Roofline(group, type, shape);
                sb.AppendLine(c, $"## {type}, {shape.Replace("x", "×", StringComparison.Ordinal)}");
                sb.AppendLine();
                sb.AppendLine(c, $"Bytes per call {Bytes(group[0].Bytes)}; streaming bandwidth {single:F1} GB/s on one thread, {multi:F1} GB/s best; roofline time {Time(group[0].Bytes / single)} on one thread (best times).");
                sb.AppendLine();
                bool spatial = BenchmarkOptions.Spatial(shape) is not null;
                sb.AppendLine(spatial
                    ? "| rank | id | layout | verdict | median | best | ratio | speed-up | GB/s | % roofline | paired % roofline | allocated |"
                    : "| rank | id | verdict | median | best | ratio | speed-up | GB/s | % roofline | paired % roofline | allocated |");
                sb.AppendLine(spatial ? "|---:|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|" : "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
                int rank = 0;
                var ordered = group.Where(r => r.Rankable).OrderBy(r => r.MedianNs)
                    .Concat(group.Where(r => r.Verdict == "FLAWED" || (r.Verdict == "correct" && !r.Rankable)).OrderBy(r => r.MedianNs))
                    .Concat(group.Where(r => r.Verdict == "yardstick").OrderBy(r => r.MedianNs));
                foreach (var r in ordered)
                {
                    string rankText = r.Rankable ? (++rank).ToString(c) : "—";
                    string id = (r.Rankable && rank == 1 ? $"**{r.Id}**" : r.Verdict == "yardstick" ? $"_{r.Id}_" : r.Id) + (r.Peer ? " _(peer)_" : "");
                    string verdict = r.Verdict == "FLAWED" ? "**FLAWED**" : r.Verdict;
                    sb.AppendLine(c, $"| {rankText} | {id} | {(spatial ? r.Layout + " | " : "")}{verdict} | {Time(r.MedianNs)} | {Time(r.BestNs)} | {Num(r.Ratio, "F4")} | {Speedup(r.Ratio)} | {Num(r.GBps, "F1")} | {Num(r.RooflinePercent, "F0")}% | {PairedText(r.Paired)} | {(r.AllocatedBytes is { } a ? Bytes(a) : "?")} |");
                }
                sb.AppendLine();
                var peerRows = group.Where(r => r.Peer).OrderBy(r => r.Id, StringComparer.Ordinal).ToList();
                if (peerRows.Count > 0)
                {
                    sb.AppendLine("Peers: time of the peer / time of the BnVerify kernel, same element type and thread count (above 1: BnVerify is faster).");
                    sb.AppendLine();
                    sb.AppendLine("| peer | threads | BnVerify kernel | peer / BnVerify (medians) | peer / BnVerify (paired: median, IQR, extremes) |");
                    sb.AppendLine("|---|---:|---|---:|---:|");
                    foreach (var peer in peerRows)
                    {
                        var against = PeerComparisons(group, peer, plan);
                        if (against.Count == 0)
                            sb.AppendLine(c, $"| {peer.Id} | {plan.ThreadsOf(peer.Id)} | — | — | — |");
                        for (int k = 0; k < against.Count; k++)
                        {
                            string kernel = k == 0 ? $"**{against[k].Id}** (fastest)" : against[k].Id;
                            string paired = peerRatios.TryGetValue((peer.Id, against[k].Id, shape), out var p)
                                ? string.Create(c, $"{p.Median:F3} ({p.Q1:F3}–{p.Q3:F3}; {p.Min:F3}–{p.Max:F3}; {p.Rounds} rounds)")
                                : "—";
                            sb.AppendLine(c, $"| {peer.Id} | {plan.ThreadsOf(peer.Id)} | {kernel} | {Num(peer.MedianNs / against[k].MedianNs, "F3")} | {paired} |");
                        }
                    }
                    sb.AppendLine();
                }
            }
        sb.AppendLine("Chart: [throughput.svg](throughput.svg). BenchmarkDotNet's own exports (JSON, CSV) are next to this file.");
        sb.AppendLine();
        sb.Append(verification);
        return sb.ToString();
    }

    /// <summary>
    /// "NCHW against NHWC": at every N×C×H×W shape, type and thread count, BnVerify's fastest correct kernel of each memory
    /// order (peers left out), with its median time and paired share of the roofline, and which order is faster. Both
    /// kernels read the same values and are paired against the same yardsticks in the same rounds, so the faster one is
    /// the one with the larger paired share; where either was not paired, the medians decide (and the line says so).
    /// </summary>
    public static string LayoutComparison(IReadOnlyList<BenchRow> rows, SuitePlan plan)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(plan);
        var c = CultureInfo.InvariantCulture;
        var lines = new List<string>();
        foreach (var shape in plan.Shapes.Where(s => BenchmarkOptions.Spatial(s) is not null))
            foreach (var type in new[] { "f64", "f32" })
                foreach (bool multi in new[] { false, true })
                {
                    BenchRow? Fastest(string layout) => rows
                        .Where(r => r.Shape == shape && r.Type == type && r.Rankable && !r.Peer && r.Layout == layout && r.MultiCore == multi)
                        .OrderBy(r => r.MedianNs).FirstOrDefault();
                    if (Fastest("NCHW") is not { } nchw || Fastest("NHWC") is not { } nhwc) continue;
                    // How much longer the slower one takes, and by which measure.
                    var (fast, longer, by) = nchw.Paired is { } pc && nhwc.Paired is { } ph
                        ? (pc.Median >= ph.Median ? "NCHW" : "NHWC", Math.Max(pc.Median, ph.Median) / Math.Min(pc.Median, ph.Median), "paired")
                        : (nchw.MedianNs <= nhwc.MedianNs ? "NCHW" : "NHWC", Math.Max(nchw.MedianNs, nhwc.MedianNs) / Math.Min(nchw.MedianNs, nhwc.MedianNs), "medians");
                    string faster = longer < 1.005
                        ? $"even (within 0.5%, {by})"
                        : string.Create(c, $"**{fast}**, {(longer - 1) * 100:F0}% faster ({by})");
                    lines.Add(string.Create(c, $"| {shape.Replace("x", "×", StringComparison.Ordinal)} | {type} | {(multi ? "all" : "1")} | " +
                                               $"{nchw.Id}: {Time(nchw.MedianNs)}, {PairedText(nchw.Paired)} | {nhwc.Id}: {Time(nhwc.MedianNs)}, {PairedText(nhwc.Paired)} | {faster} |"));
                }
        if (lines.Count == 0) return "";
        var sb = new StringBuilder();
        sb.AppendLine("## NCHW against NHWC");
        sb.AppendLine();
        sb.AppendLine("BnVerify's fastest correct kernel of each memory order at each N×C×H×W shape: median time and paired % of the roofline. " +
                      "Both read the same values and move the same 5·N·C·H·W elements; the faster is the one with the larger paired share " +
                      "(timed back to back in the same rounds), or by median time where either was not paired.");
        sb.AppendLine();
        sb.AppendLine("| shape | type | threads | fastest NCHW | fastest NHWC | faster |");
        sb.AppendLine("|---|---|---|---|---|---|");
        foreach (var line in lines) sb.AppendLine(line);
        sb.AppendLine();
        return sb.ToString();
    }

    /// <summary>BenchmarkDotNet's job id of a dry run (<c>--dry</c>).</summary>
    public const string DryJobId = "dry";

    /// <summary>The report's warning, at its top, after a dry run (<c>--dry</c>).</summary>
    public const string DryWarning =
        "> **Dry run.** Every benchmark was called once, cold (BenchmarkDotNet's Dry job) and the paired rounds were the fewest, so " +
        "this report shows that the run works, not how fast anything is: its times and ratios are not measurements. Run without `--dry` to measure.";

    /// <summary>What a dry run's verification section says in place of the mutation score.</summary>
    public const string DryMutationScore =
        "The checker's mutation score is not computed in a dry run: it is in every full or quick report, and `dotnet test --filter MutantTests` prints it.";

    /// <summary>The report's warning, at its top, when BnVerify was a Debug build (benchmarked with <c>--allow-debug</c>).</summary>
    public const string DebugWarning =
        "> **Debug build.** BnVerify was built in the Debug configuration (JIT optimizations off), so these timings are not " +
        "those of the Release code and must not be compared with a Release report. Rebuild and run with `-c Release`.";

    /// <summary>
    /// The report's headline, one line per element type and shape of the run: the fastest correct implementation, the
    /// fastest one-thread and multi-core ones, and each peer against the fastest BnVerify kernel; where no correct
    /// implementation was benchmarked (only flawed ones were selected, or the correct ones failed to run), a line that says
    /// so and names the ones that were.
    /// </summary>
    public static IReadOnlyList<string> Headline(IReadOnlyList<BenchRow> rows, SuitePlan plan,
        IReadOnlyDictionary<(string Peer, string Kernel, string Shape), PairedRatio>? peerRatios = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(plan);
        peerRatios ??= new Dictionary<(string, string, string), PairedRatio>();
        var c = CultureInfo.InvariantCulture;
        var lines = new List<string>();
        foreach (var type in new[] { "f64", "f32" })
            foreach (var shape in plan.Shapes)
            {
                var here = rows.Where(r => r.Type == type && r.Shape == shape).ToList();
                if (here.Count == 0) continue; // the type is not in this run
                var ranked = here.Where(r => r.Rankable && !r.Peer).OrderBy(r => r.MedianNs).ToList();
                if (ranked.Count == 0)
                {
                    lines.Add(NoCorrectLine(type, shape, here));
                    continue;
                }
                var sb = new StringBuilder();
                var one = ranked.FirstOrDefault(r => !r.MultiCore);
                var many = ranked.FirstOrDefault(r => r.MultiCore);
                sb.Append(c, $"- {type} {shape}: fastest correct **{ranked[0].Id}** ({Time(ranked[0].MedianNs)})");
                if (one is not null) sb.Append(c, $"; fastest one-thread {one.Id}: {one.GBps:F1} GB/s, {Roof(one)}, {Speedup(one.Ratio)}");
                if (many is not null) sb.Append(c, $"; fastest multi-core {many.Id}: {many.GBps:F1} GB/s, {Roof(many)}, {Speedup(many.Ratio)}");
                foreach (var peer in here.Where(r => r.Peer && r.Rankable))
                {
                    var best = PeerComparisons(rows, peer, plan).FirstOrDefault();
                    if (best is null) continue;
                    sb.Append(c, $"; {peer.Id} / {best.Id} = {PeerRatioText(peer, best, peerRatios)}");
                }
                lines.Add(sb.ToString());
            }
        return lines;
    }

    /// <summary>The headline of a type and shape where no correct BnVerify implementation has a time: which ones ran instead.</summary>
    private static string NoCorrectLine(string type, string shape, IReadOnlyList<BenchRow> here)
    {
        static string Ids(IEnumerable<BenchRow> rows) => string.Join(", ", rows.Select(r => r.Id).Distinct());
        var flawed = here.Where(r => r.Verdict == "FLAWED" && !r.Peer).ToList();
        var failed = here.Where(r => r.Verdict == "correct" && !r.Rankable && !r.Peer).ToList();
        var peers = here.Where(r => r.Peer && r.Rankable).ToList();
        var what = new List<string>();
        if (flawed.Count > 0) what.Add($"only flawed ones were: {Ids(flawed)} (timed in the table below, never ranked)");
        if (failed.Count > 0) what.Add($"correct but their benchmark failed: {Ids(failed)}");
        if (peers.Count > 0) what.Add($"peers timed: {Ids(peers)}");
        if (what.Count == 0) what.Add("only the bandwidth yardsticks ran");
        return $"- {type} {shape}: no correct implementation was benchmarked here; {string.Join("; ", what)}";
    }

    /// <summary>
    /// The report's section on kernel variants (<c>--variant</c>): what each costs against the kernel it comes from, per
    /// shape, from the paired rounds. Empty when the run had no variants.
    /// </summary>
    public static string Variants(IReadOnlyList<VariantCost> costs)
    {
        ArgumentNullException.ThrowIfNull(costs);
        if (costs.Count == 0) return "";
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("## Kernel variants");
        sb.AppendLine();
        sb.AppendLine("Each variant's time divided by its own kernel's time in the same paired round, minus 1 (positive: the variant is slower); median and interquartile range over the rounds.");
        sb.AppendLine();
        sb.AppendLine("| variant | shape | change (median) | IQR | rounds |");
        sb.AppendLine("|---|---|---:|---:|---:|");
        foreach (var v in costs)
            sb.AppendLine(c, $"| `{v.Variant}` | {v.Shape.Replace("x", "×", StringComparison.Ordinal)} | {v.Median:+0.0%;-0.0%;+0.0%} | {v.Q1:+0.0%;-0.0%;+0.0%} to {v.Q3:+0.0%;-0.0%;+0.0%} | {v.Rounds} |");
        sb.AppendLine();
        return sb.ToString();
    }

    /// <summary>
    /// The report's verification section: the checker's mutation score over the mutant catalog and the derivation
    /// doctor's diagnosis of every flawed implementation that is benchmarked (computed now, from measured errors): declared
    /// flawed, or found flawed by the run's <paramref name="verdicts"/> (id → correct), such as a user's implementation from <c>--assembly</c>.
    /// The mutation score, the same for every run of one build and the larger part of the section's cost (every mutant
    /// verified and diagnosed), is left out where <paramref name="mutationScore"/> is false (a dry run), with a line saying where it is.
    /// </summary>
    public static string Verification(IEnumerable<IBatchNormBackward> benchmarked, IReadOnlyDictionary<string, bool>? verdicts = null, bool mutationScore = true)
    {
        ArgumentNullException.ThrowIfNull(benchmarked);
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("## Verification");
        sb.AppendLine();
        if (mutationScore)
        {
            var score = MutationScore.Compute(BuiltIn.Implementations.All.Where(i => i.Info.Family == Family.Mutant));
            sb.AppendLine(c, $"**{score.Headline}.**");
            sb.AppendLine();
            sb.AppendLine("| mutant | killed | diagnosis |");
            sb.AppendLine("|---|---|---|");
            foreach (var m in score.Mutants)
                sb.AppendLine(c, $"| {m.Id} | {(m.Killed ? "yes" : "**no**")} | {m.Diagnosis.Summary().Replace(Environment.NewLine, " ", StringComparison.Ordinal).Replace("|", "\\|", StringComparison.Ordinal)} |");
        }
        else
        {
            sb.AppendLine(DryMutationScore);
        }
        sb.AppendLine();
        var flawed = benchmarked.Where(i => i.Info.Declared == Verdict.Flawed || verdicts?.GetValueOrDefault(i.Info.Id, true) == false).ToList();
        if (flawed.Count > 0)
        {
            sb.AppendLine("Diagnoses of the flawed implementations above (derivation doctor):");
            sb.AppendLine();
            foreach (var impl in flawed)
                sb.AppendLine(c, $"- `{impl.Info.Id}`: {BnVerify.Doctor.DerivationDoctor.Diagnose(impl).Summary().Replace(Environment.NewLine, " ", StringComparison.Ordinal)}");
            sb.AppendLine();
        }
        return sb.ToString();
    }

    private static string PeerRatioText(BenchRow peer, BenchRow kernel, IReadOnlyDictionary<(string Peer, string Kernel, string Shape), PairedRatio> ratios) =>
        ratios.TryGetValue((peer.Id, kernel.Id, peer.Shape), out var p)
            ? string.Create(CultureInfo.InvariantCulture, $"{p.Median:F3} paired (IQR {p.Q1:F3}–{p.Q3:F3}; {peer.MedianNs / kernel.MedianNs:F3} from medians; above 1: BnVerify faster)")
            : string.Create(CultureInfo.InvariantCulture, $"{peer.MedianNs / kernel.MedianNs:F3} from medians (above 1: BnVerify faster)");

    private static string PairedText(PairedPercent? p) =>
        p is null ? "—" : string.Create(CultureInfo.InvariantCulture, $"{p.Median:F0}% ({p.Q1:F0}–{p.Q3:F0})");

    /// <summary>A row's roofline share for the headline: the paired figure where there is one.</summary>
    private static string Roof(BenchRow r) =>
        r.Paired is { } p
            ? string.Create(CultureInfo.InvariantCulture, $"{p.Median:F0}% of roofline paired (IQR {p.Q1:F0}–{p.Q3:F0}%; {r.RooflinePercent:F0}% from best times)")
            : string.Create(CultureInfo.InvariantCulture, $"{r.RooflinePercent:F0}% of roofline");

    private static string Num(double v, string format) => double.IsFinite(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "n/a";

    private static string Speedup(double ratio) => double.IsFinite(ratio) && ratio > 0 ? (1 / ratio).ToString(1 / ratio >= 10 ? "F0" : "F1", CultureInfo.InvariantCulture) + "×" : "n/a";

    /// <summary>A time in ns, µs, ms or s.</summary>
    public static string Time(double ns) => !double.IsFinite(ns) ? "failed" : ns switch
    {
        < 1e3 => $"{ns.ToString("F1", CultureInfo.InvariantCulture)} ns",
        < 1e6 => $"{(ns / 1e3).ToString("F2", CultureInfo.InvariantCulture)} µs",
        < 1e9 => $"{(ns / 1e6).ToString("F2", CultureInfo.InvariantCulture)} ms",
        _ => $"{(ns / 1e9).ToString("F2", CultureInfo.InvariantCulture)} s",
    };

    private static string Bytes(long b) => b switch
    {
        < 1024 => $"{b} B",
        < 1 << 20 => $"{(b / 1024.0).ToString("F1", CultureInfo.InvariantCulture)} KiB",
        < 1L << 30 => $"{(b / 1048576.0).ToString("F1", CultureInfo.InvariantCulture)} MiB",
        _ => $"{(b / 1073741824.0).ToString("F2", CultureInfo.InvariantCulture)} GiB",
    };

    /// <summary>The first three fields of /proc/loadavg, or "n/a".</summary>
    public static string LoadAverage()
    {
        try
        {
            return File.Exists("/proc/loadavg") ? string.Join(" / ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
        }
        catch (IOException)
        {
            return "n/a";
        }
    }

    private static string CpuName()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            if (line is not null) return line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return RuntimeInformation.ProcessArchitecture.ToString();
    }
}
