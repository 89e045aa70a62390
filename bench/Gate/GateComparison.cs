namespace BnVerify.Bench.Gate;

/// <summary>How one implementation fared against the baseline.</summary>
public enum GateStatus
{
    /// <summary>Verdicts unchanged and not significantly slower than the tolerance allows.</summary>
    Ok,

    /// <summary>Not in the baseline (the implementation, or its timing at this shape): reported, not failed.</summary>
    New,

    /// <summary>Its ratio to the reference got worse than the baseline's by more than the tolerance, significantly.</summary>
    Slower,

    /// <summary>Its found verdict differs from its declared verdict, or either differs from the baseline's.</summary>
    VerdictChanged,

    /// <summary>In the baseline, but no longer discovered.</summary>
    Gone,

    /// <summary>Timed in the baseline at this shape, but not in this run (<c>--memory-rounds 0</c>): reported, not failed.</summary>
    NotCompared,

    /// <summary>Timed against another reference than in the baseline (a kernel's thread count or store policy changed): fails until the baseline is refreshed.</summary>
    ReferenceChanged,
}

/// <summary>One row of the gate's table: an implementation's verdicts, or one of its timings.</summary>
/// <param name="Id">Implementation id.</param>
/// <param name="Shape">The timed shape "NxD", or null for a row about verdicts or presence only.</param>
/// <param name="Regime"><see cref="Gate.Regime.InCache"/> or <see cref="Gate.Regime.MemoryBound"/> (null with <paramref name="Shape"/>).</param>
/// <param name="Status">What happened.</param>
/// <param name="BaselineRatio">Ratio to the reference in the baseline (null when not timed or new).</param>
/// <param name="CurrentRatio">Ratio to the reference now (null when not timed or gone).</param>
/// <param name="PValue">Mann–Whitney p-value of "slower than baseline × (1 + tolerance)" (null when not compared).</param>
/// <param name="Message">What and by how much, in words.</param>
public sealed record GateRow(string Id, string? Shape, string? Regime, GateStatus Status, double? BaselineRatio, double? CurrentRatio, double? PValue, string Message)
{
    /// <summary>True for the statuses that fail the gate.</summary>
    public bool Fails => Status is GateStatus.Slower or GateStatus.VerdictChanged or GateStatus.Gone or GateStatus.ReferenceChanged;

    /// <summary>"ID" or "ID at NxD (regime)": what a failure line names.</summary>
    public string Subject => Shape is null ? Id : $"{Id} at {Shape.Replace("x", "×", StringComparison.Ordinal)} ({Regime})";
}

/// <summary>The slowdown the gate forgives in each regime, as fractions of the ratio (0.25 = 25%).</summary>
/// <param name="InCache">For the in-cache ratios to alt-simplified.</param>
/// <param name="MemoryBound">For the memory-bound ratios to the bandwidth yardsticks.</param>
public sealed record Tolerances(double InCache, double MemoryBound)
{
    /// <summary>The tolerance of <paramref name="regime"/>.</summary>
    public double For(string regime) => regime == Regime.MemoryBound ? MemoryBound : InCache;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> unless both are finite and ≥ 0.</summary>
    public void Validate()
    {
        if (!(InCache >= 0 && double.IsFinite(InCache))) throw new ArgumentOutOfRangeException(nameof(InCache), InCache, "must be ≥ 0");
        if (!(MemoryBound >= 0 && double.IsFinite(MemoryBound))) throw new ArgumentOutOfRangeException(nameof(MemoryBound), MemoryBound, "must be ≥ 0");
    }
}

/// <summary>
/// The gate's decision, separated from measuring so it can be tested on synthetic numbers. Speed is compared only as
/// ratios to a reference measured in the same rounds (absolute times do not carry across machines or runs), per shape:
/// in cache against alt-simplified, memory-bound against the bandwidth yardstick with the kernel's own memory pattern.
/// A correct implementation fails at a shape when its median ratio exceeds baseline × (1 + tolerance) AND the one-sided
/// Mann–Whitney test of its per-round ratios against the baseline's (rescaled to the baseline's stated median, then
/// multiplied by 1 + tolerance) gives p &lt; alpha: slower by more than the tolerance, and not by chance.
/// </summary>
public static class GateComparison
{
    /// <summary>Compares the current measurements with the baseline, one tolerance for both regimes.</summary>
    public static IReadOnlyList<GateRow> Compare(Baseline baseline, IReadOnlyList<GateEntry> current, double tolerance, double alpha = 0.01) =>
        Compare(baseline, current, new Tolerances(tolerance, tolerance), alpha);

    /// <summary>
    /// Compares the current measurements with the baseline: for each implementation a verdict row when its verdict changed or it
    /// is untimed, else one row per timing; in baseline order, new implementations last.
    /// </summary>
    public static IReadOnlyList<GateRow> Compare(Baseline baseline, IReadOnlyList<GateEntry> current, Tolerances tolerances, double alpha = 0.01)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(tolerances);
        tolerances.Validate();
        var rows = new List<GateRow>();
        var now = current.ToDictionary(e => e.Id);
        foreach (var before in baseline.Implementations)
        {
            if (!now.TryGetValue(before.Id, out var after))
            {
                rows.Add(new GateRow(before.Id, null, null, GateStatus.Gone, before.Timings.FirstOrDefault()?.Ratio, null, null, "in the baseline but no longer discovered"));
                continue;
            }
            rows.AddRange(CompareOne(before, after, tolerances, alpha));
        }
        foreach (var added in current.Where(e => baseline.Implementations.All(b => b.Id != e.Id)))
        {
            var row = VerdictRow(added, null);
            rows.Add(row ?? new GateRow(added.Id, null, null, GateStatus.New, null, added.Timings.FirstOrDefault()?.Ratio, null,
                $"new: not in the baseline (declared {added.Declared}, found {added.Verdict}); refresh the baseline to track it"));
        }
        return rows;
    }

    private static IEnumerable<GateRow> CompareOne(GateEntry before, GateEntry after, Tolerances tolerances, double alpha)
    {
        if (VerdictRow(after, before) is { } verdictRow) return [verdictRow];
        if (after.Declared != "correct" || (before.Timings.Count == 0 && after.Timings.Count == 0))
            return [new GateRow(after.Id, null, null, GateStatus.Ok, null, null, null, $"verdict {after.Verdict} as declared")];
        var rows = new List<GateRow>();
        foreach (var was in before.Timings)
        {
            var isNow = after.At(was.Shape);
            if (isNow is null)
                rows.Add(new GateRow(after.Id, was.Shape, was.Regime, GateStatus.NotCompared, was.Ratio, null, null, "timed in the baseline at this shape, not in this run"));
            else if (isNow.Reference != was.Reference)
                rows.Add(new GateRow(after.Id, was.Shape, was.Regime, GateStatus.ReferenceChanged, was.Ratio, isNow.Ratio, null,
                    $"timed against {isNow.Reference} now, against {was.Reference} in the baseline: its thread count or store policy changed, " +
                    "so the speeds are not comparable; if that is deliberate, refresh the baseline"));
            else
                rows.Add(CompareTiming(after.Id, was, isNow, tolerances.For(was.Regime), alpha));
        }
        foreach (var added in after.Timings.Where(t => before.At(t.Shape) is null))
            rows.Add(new GateRow(after.Id, added.Shape, added.Regime, GateStatus.New, null, added.Ratio, null,
                $"new: not timed at this shape in the baseline ({added.Ratio:0.###}× {added.Reference}); refresh the baseline to track it"));
        return rows;
    }

    private static GateRow CompareTiming(string id, GateTiming before, GateTiming after, double tolerance, double alpha)
    {
        double baseRatio = before.Ratio, ratio = after.Ratio;
        double scale = baseRatio / Median(before.Samples) * (1 + tolerance);
        var allowed = before.Samples.Select(s => s * scale).ToArray();
        double p = MannWhitney.PGreater(after.Samples, allowed);
        double change = ratio / baseRatio - 1;
        string reference = before.Regime == Regime.InCache ? "the reference" : before.Reference;
        string clocks = before.Clock == after.Clock ? "" : $"; note: {after.Clock} clock now, {before.Clock} in the baseline";
        string by = $"{ratio:0.###}× {reference}, was {baseRatio:0.###}× ({change:+0.0%;-0.0%;+0.0%})";
        if (ratio > baseRatio * (1 + tolerance) && p < alpha)
            return new GateRow(id, before.Shape, before.Regime, GateStatus.Slower, baseRatio, ratio, p,
                $"slower: {by}, beyond the {tolerance:0%} tolerance (p {PValueText(p)}){clocks}");
        return new GateRow(id, before.Shape, before.Regime, GateStatus.Ok, baseRatio, ratio, p, by + clocks);
    }

    /// <summary>A failing row when the found verdict differs from the declared one or from the baseline's; null otherwise.</summary>
    private static GateRow? VerdictRow(GateEntry after, GateEntry? before)
    {
        if (after.Verdict != after.Declared)
        {
            string what = after.Declared == "correct"
                ? "declared correct but the checker finds it flawed"
                : "declared flawed but the checker no longer catches it";
            return new GateRow(after.Id, null, null, GateStatus.VerdictChanged, null, null, null, what);
        }
        if (before is not null && (before.Declared != after.Declared || before.Verdict != after.Verdict))
            return new GateRow(after.Id, null, null, GateStatus.VerdictChanged, null, null, null,
                $"verdict changed: baseline declared {before.Declared}, found {before.Verdict}; now declared {after.Declared}, found {after.Verdict}");
        return null;
    }

    /// <summary>"= 0.0123", or "&lt; 0.0001" for a p-value too small to print.</summary>
    public static string PValueText(double p) => p < 1e-4 ? "< 0.0001" : $"= {p:0.####}";

    /// <summary>The median of <paramref name="values"/>.</summary>
    public static double Median(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0) throw new ArgumentException("no values", nameof(values));
        var sorted = values.Order().ToArray();
        int m = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
    }
}
