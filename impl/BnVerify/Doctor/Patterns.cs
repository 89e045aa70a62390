using System.Globalization;

namespace BnVerify.Doctor;

/// <summary>How the doctor writes numbers: with the digits that show what differs.</summary>
internal static class Num
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Four significant digits, e.g. "0.2784".</summary>
    public static string G(double v) => v.ToString("G4", Inv);

    /// <summary>Scientific with two digits, e.g. "1.0e-7".</summary>
    public static string Sci(double v) => v.ToString("0.0e0", Inv);

    /// <summary>
    /// A factor written so its deviation shows: "1 + 1.0e-7", "1 − 3.2e-10", "−(1 + 2.0e-6)" when within 1e-3 of ±1,
    /// "1" or "−1" when exact, else six significant digits.
    /// </summary>
    public static string Factor(double k)
    {
        if (!double.IsFinite(k)) return k.ToString(Inv);
        if (k == 1) return "1";
        if (k == -1) return "−1";
        double d = k - 1;
        if (Math.Abs(d) < 1e-3) return $"1 {(d > 0 ? "+" : "−")} {Sci(Math.Abs(d))}";
        double m = -k - 1;
        if (Math.Abs(m) < 1e-3) return $"−(1 {(m > 0 ? "+" : "−")} {Sci(Math.Abs(m))})";
        return k.ToString("G6", Inv).Replace("-", "−", StringComparison.Ordinal);
    }

    /// <summary>A value next to the one it should be, with enough digits to show they differ: "−1.58712 (exact −1.58703)".</summary>
    public static string Versus(double fitted, double exact)
    {
        for (int digits = 4; digits <= 17; digits++)
        {
            string f = fitted.ToString("G" + digits, Inv), e = exact.ToString("G" + digits, Inv);
            if (f != e || digits == 17) return $"{f} (exact {e}, off by {Sci(fitted - exact)})";
        }
        return fitted.ToString("R", Inv);
    }

    /// <summary>A share as a percentage: "100%", "99.70%", "12%".</summary>
    public static string Share(double s) =>
        s >= 0.99995 ? "100%" : s >= 0.99 ? (100 * s).ToString("0.00", Inv) + "%" : (100 * Math.Max(s, 0)).ToString("0", Inv) + "%";

    /// <summary>"3, 7, 11" (at most <paramref name="max"/> items, then "…").</summary>
    public static string List(IEnumerable<int> items, int max = 8)
    {
        var list = items.ToList();
        return list.Count <= max ? string.Join(", ", list) : string.Join(", ", list.Take(max)) + $", … ({list.Count} in all)";
    }

    /// <summary>"3..7" for a run, "3" for one.</summary>
    public static string Run(int first, int last) => first == last ? $"{first}" : $"{first}..{last}";
}

/// <summary>
/// Patterns in which sizes or indices fail: the words the doctor's locality facts are written in. Each returns a
/// description and whether the pattern is informative (confined to a boundary, an edge or a tail; "fails everywhere"
/// or "fails at every N ≥ 2" are not).
/// </summary>
internal static class Patterns
{
    /// <summary>Powers of two a kernel's blocks, vector widths or tiles use.</summary>
    private static readonly int[] Blocks = [2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048];

    /// <summary>
    /// Which of the tested sizes (<paramref name="tested"/>: size, fails) of axis <paramref name="axis"/> ("N" or "D") fail.
    /// </summary>
    public static (string Text, bool Informative) Sizes(string axis, IReadOnlyList<(int Size, bool Fails)> tested)
    {
        var all = tested.Select(t => t.Size).Distinct().Order().ToList();
        var failing = tested.Where(t => t.Fails).Select(t => t.Size).Distinct().Order().ToList();
        var passing = all.Except(failing).ToList();
        if (all.Count == 0) return ("", false);
        string range = $"{axis} = {all[0]}..{all[^1]}";
        if (failing.Count == 0) return ($"passes at every {axis} tried ({range})", false);
        if (passing.Count == 0) return ($"fails at every {axis} tried ({range})", false);
        bool Is(Func<int, bool> rule) => all.All(s => rule(s) == failing.Contains(s));
        if (failing.Count == 1 && failing[0] == 1) return ($"fails only at {axis} = 1 (passes at every other {axis} tried, {axis} = 2..{all[^1]})", true);
        int min = failing[0], max = failing[^1];
        if (Is(s => s >= min))
            return ($"fails at every {axis} ≥ {min} tried and at none below", min >= 4);
        if (Is(s => s <= max))
            return ($"fails only at {axis} ≤ {max} (passes at every larger {axis} tried, up to {all[^1]})", true);
        foreach (int b in Blocks)
        {
            if (Is(s => s > b && s % b != 0))
                return ($"fails at every {axis} > {b} that is not a multiple of {b} (smallest: {axis} = {b + 1}); passes at {axis} ≤ {b} and at multiples of {b}", true);
            if (Is(s => s % b != 0))
                return ($"fails at every {axis} that is not a multiple of {b}; passes at multiples of {b}", true);
        }
        // No rule: a list is a fact, not a pattern (it may be the values' luck rather than the shape's).
        return ($"fails at {axis} = {Num.List(failing)}; passes at {axis} = {Num.List(passing)}", failing.Count <= 2);
    }

    /// <summary>
    /// Which indices ("rows" or "columns") fail in each of several samples (index count, failing flags). Null when every
    /// index fails in every sample or no consistent pattern exists; otherwise the pattern, informative when it holds in
    /// at least two samples of different sizes.
    /// </summary>
    public static (string Text, bool Informative)? Indices(string what, IReadOnlyList<(int Count, bool[] Failing)> samples)
    {
        var failing = samples.Where(s => s.Failing.Any(f => f)).ToList();
        if (failing.Count == 0 || failing.All(s => s.Failing.All(f => f))) return null;
        bool multiple = failing.Select(s => s.Count).Distinct().Count() >= 2;
        bool All(Func<int, int, bool> rule) => failing.All(s => Enumerable.Range(0, s.Count).All(i => rule(i, s.Count) == s.Failing[i]));

        // A fixed first index: only indices ≥ t.
        int t = Array.IndexOf(failing[0].Failing, true);
        if (t > 0 && All((i, _) => i >= t))
            return ($"only {what} ≥ {t}", multiple);
        // The tail past the last multiple of b (the part a vector or block loop leaves to a remainder loop); the largest b
        // that fits (9 and 17 columns fit 2, 4 and 8; a tail past 8 is the specific claim).
        foreach (int b in Blocks.Reverse())
            if (failing.All(s => s.Count % b != 0) && All((i, count) => i >= count / b * b))
                return ($"only the {what} past the last multiple of {b} ({DescribeFirst(what, failing[0], b)})", multiple);
        // The second half, or the last quarter (a split of the rows or columns between workers).
        foreach (int k in new[] { 2, 4 })
            if (All((i, count) => i >= (k - 1) * count / k) && failing.Any(s => s.Count >= 2 * k))
                return ($"only the last {(k == 2 ? "half" : "quarter")} of the {what} ({DescribeRun(what, failing[0], (k - 1) * failing[0].Count / k)})", multiple);
        // Only indices below t.
        int last = Array.LastIndexOf(failing[0].Failing, true);
        if (All((i, _) => i <= last))
            return ($"only {what} 0..{last}", multiple);
        var f0 = failing[0];
        var which = Enumerable.Range(0, f0.Count).Where(i => f0.Failing[i]).ToList();
        return ($"only {what} {Num.List(which)} of {f0.Count}", false);
    }

    private static string DescribeRun(string what, (int Count, bool[] Failing) s, int first) =>
        $"{what} {Num.Run(first, s.Count - 1)} of {s.Count}";

    private static string DescribeFirst(string what, (int Count, bool[] Failing) s, int b) =>
        $"{what} {Num.Run(s.Count / b * b, s.Count - 1)} of {s.Count}";
}
