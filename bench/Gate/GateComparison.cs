namespace BnVerify.Bench.Gate;

/// <summary>How one implementation fared against the baseline.</summary>
public enum GateStatus
{
    /// <summary>Verdicts unchanged and not significantly slower than the tolerance allows.</summary>
    Ok,

    /// <summary>Not in the baseline: reported, not failed.</summary>
    New,

    /// <summary>Its ratio to the reference got worse than the baseline's by more than the tolerance, significantly.</summary>
    Slower,

    /// <summary>Its found verdict differs from its declared verdict, or either differs from the baseline's.</summary>
    VerdictChanged,

    /// <summary>In the baseline, but no longer discovered.</summary>
    Gone,
}

/// <summary>One row of the gate's table.</summary>
/// <param name="Id">Implementation id.</param>
/// <param name="Status">What happened.</param>
/// <param name="BaselineRatio">Ratio to the reference in the baseline (null when not timed or new).</param>
/// <param name="CurrentRatio">Ratio to the reference now (null when not timed or gone).</param>
/// <param name="PValue">Mann–Whitney p-value of "slower than baseline × (1 + tolerance)" (null when not compared).</param>
/// <param name="Message">What and by how much, in words.</param>
public sealed record GateRow(string Id, GateStatus Status, double? BaselineRatio, double? CurrentRatio, double? PValue, string Message)
{
    /// <summary>True for the statuses that fail the gate.</summary>
    public bool Fails => Status is GateStatus.Slower or GateStatus.VerdictChanged or GateStatus.Gone;
}

/// <summary>
/// The gate's decision, separated from measuring so it can be tested on synthetic numbers. Speed is compared only as
/// ratios to a reference implementation measured in the same run (absolute times do not carry across machines or runs).
/// A correct implementation fails when its median ratio exceeds baseline × (1 + tolerance) AND the one-sided
/// Mann–Whitney test of its per-round ratios against the baseline's (rescaled to the baseline's stated median, then
/// multiplied by 1 + tolerance) gives p &lt; alpha: slower by more than the tolerance, and not by chance.
/// </summary>
public static class GateComparison
{
    /// <summary>Compares the current measurements with the baseline; rows in baseline order, new implementations last.</summary>
    public static IReadOnlyList<GateRow> Compare(Baseline baseline, IReadOnlyList<GateEntry> current, double tolerance, double alpha = 0.01)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(current);
        if (!(tolerance >= 0 && double.IsFinite(tolerance))) throw new ArgumentOutOfRangeException(nameof(tolerance), tolerance, "must be ≥ 0");
        var rows = new List<GateRow>();
        var now = current.ToDictionary(e => e.Id);
        foreach (var before in baseline.Implementations)
        {
            if (!now.TryGetValue(before.Id, out var after))
            {
                rows.Add(new GateRow(before.Id, GateStatus.Gone, before.Ratio, null, null, "in the baseline but no longer discovered"));
                continue;
            }
            rows.Add(CompareOne(before, after, tolerance, alpha));
        }
        foreach (var added in current.Where(e => baseline.Implementations.All(b => b.Id != e.Id)))
        {
            var row = VerdictRow(added, null);
            rows.Add(row ?? new GateRow(added.Id, GateStatus.New, null, added.Ratio, null,
                $"new: not in the baseline (declared {added.Declared}, found {added.Verdict}); refresh the baseline to track it"));
        }
        return rows;
    }

    private static GateRow CompareOne(GateEntry before, GateEntry after, double tolerance, double alpha)
    {
        if (VerdictRow(after, before) is { } verdictRow) return verdictRow;
        if (after.Declared != "correct" || before.Ratio is not { } baseRatio || after.Ratio is not { } ratio)
            return new GateRow(after.Id, GateStatus.Ok, before.Ratio, after.Ratio, null, $"verdict {after.Verdict} as declared");

        double scale = baseRatio / Median(before.Samples) * (1 + tolerance);
        var allowed = before.Samples.Select(s => s * scale).ToArray();
        double p = MannWhitney.PGreater(after.Samples, allowed);
        double change = ratio / baseRatio - 1;
        string by = $"{ratio:0.###}× the reference, was {baseRatio:0.###}× ({change:+0.0%;-0.0%})";
        if (ratio > baseRatio * (1 + tolerance) && p < alpha)
            return new GateRow(after.Id, GateStatus.Slower, baseRatio, ratio, p,
                $"slower: {by}, beyond the {tolerance:0%} tolerance (p {PValueText(p)})");
        return new GateRow(after.Id, GateStatus.Ok, baseRatio, ratio, p, by);
    }

    /// <summary>A failing row when the found verdict differs from the declared one or from the baseline's; null otherwise.</summary>
    private static GateRow? VerdictRow(GateEntry after, GateEntry? before)
    {
        if (after.Verdict != after.Declared)
        {
            string what = after.Declared == "correct"
                ? "declared correct but the checker finds it flawed"
                : "declared flawed but the checker no longer catches it";
            return new GateRow(after.Id, GateStatus.VerdictChanged, before?.Ratio, after.Ratio, null, what);
        }
        if (before is not null && (before.Declared != after.Declared || before.Verdict != after.Verdict))
            return new GateRow(after.Id, GateStatus.VerdictChanged, before.Ratio, after.Ratio, null,
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
