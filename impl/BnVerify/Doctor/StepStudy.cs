using System.Globalization;
using BnVerify.Checking;

namespace BnVerify.Doctor;

/// <summary>Where a mismatch between an implementation and the finite differences comes from.</summary>
public enum MismatchSource
{
    /// <summary>The mismatch stays the same as the step shrinks: the implementation's formula is wrong.</summary>
    Formula,

    /// <summary>The mismatch shrinks (like h²) as the step shrinks: the finite difference's truncation error.</summary>
    Truncation,

    /// <summary>The mismatch grows (like 1/h) or varies erratically as the step shrinks: rounding in the finite difference.</summary>
    Rounding,
}

/// <summary>A mismatch re-measured at steps h, h/2, h/4.</summary>
/// <param name="Gradient">Which gradient.</param>
/// <param name="Index">Element index (row-major for dx).</param>
/// <param name="Steps">h, h/2, h/4.</param>
/// <param name="Mismatch">Finite difference minus the implementation's value, at each step (signed).</param>
/// <param name="Source">What the trend says.</param>
/// <param name="Sentence">The finding in words.</param>
public sealed record StepStudyResult(GradientName Gradient, int Index, double[] Steps, double[] Mismatch, MismatchSource Source, string Sentence);

/// <summary>
/// Tells a formula error from finite-difference noise: re-measures the mismatch between an implementation and the
/// central difference at steps h, h/2 and h/4. A formula error is the same at every step; truncation (the Taylor
/// remainder, c·h²) shrinks by about 4 per halving; rounding (u·|L|/h) grows by about 2 per halving, with a random sign.
/// </summary>
public static class StepStudy
{
    /// <summary>
    /// Re-measures element <paramref name="index"/> of gradient <paramref name="g"/> of <paramref name="impl"/> on
    /// <paramref name="problem"/> at <paramref name="h"/>, h/2, h/4 (h defaults to the oracle's own step).
    /// </summary>
    public static StepStudyResult Measure(IBatchNormBackward impl, BatchNormProblem problem, GradientName g, int index, double? h = null)
    {
        ArgumentNullException.ThrowIfNull(impl);
        ArgumentNullException.ThrowIfNull(problem);
        var seen = impl.InItsPrecision(problem);
        double actual = impl.Run(seen).Of(g)[index];
        double h0 = h ?? FiniteDifferenceOracle.StepOf(seen, g, index);
        double[] steps = [h0, h0 / 2, h0 / 4];
        var mismatch = steps.Select(s => FiniteDifferenceOracle.CentralDifference(seen, g, index, s) - actual).ToArray();
        var source = Classify(mismatch);
        string where = g == GradientName.Dx ? $"dx[{index / seen.D}][{index % seen.D}]" : $"{Gradients.NameOf(g)}[{index}]";
        string trend = string.Join(", ", steps.Zip(mismatch, (s, m) => string.Create(CultureInfo.InvariantCulture, $"{m:G3} at h = {s:G3}")));
        string meaning = source switch
        {
            MismatchSource.Formula when !double.IsFinite(actual) => $"the implementation returns {actual} here, which no step explains, so it is the formula's error",
            MismatchSource.Formula => "it stays constant as the step shrinks, so it is the formula's error, not the finite differences'",
            MismatchSource.Truncation => "it shrinks like h² as the step shrinks, so it is the finite difference's truncation, not a formula error",
            _ => "it grows (like 1/h) or varies erratically as the step shrinks, so it is rounding in the finite difference, not a formula error",
        };
        return new StepStudyResult(g, index, steps, mismatch, source, $"step study of {where}: mismatch {trend}; {meaning} ({source.ToString().ToLowerInvariant()}).");
    }

    /// <summary>
    /// The rule: a non-finite mismatch (the implementation returned NaN or infinity) → formula; constant (same sign, every magnitude within a factor 1.5 of the largest: a formula error that rounding
    /// and truncation barely move) → formula; shrinking at each halving and by at least 4 over two (truncation falls by
    /// 16 over two halvings; 4 leaves room for some rounding on top) → truncation; anything else varies without shrinking,
    /// which only rounding does → rounding.
    /// </summary>
    public static MismatchSource Classify(IReadOnlyList<double> mismatch)
    {
        ArgumentNullException.ThrowIfNull(mismatch);
        if (mismatch.Count != 3) throw new ArgumentException("three mismatches (at h, h/2, h/4) are needed", nameof(mismatch));
        // A NaN or infinite value from the implementation is not something any step explains: the formula's.
        if (mismatch.Any(v => !double.IsFinite(v))) return MismatchSource.Formula;
        var m = mismatch.Select(Math.Abs).ToArray();
        bool sameSign = mismatch.All(v => v > 0) || mismatch.All(v => v < 0);
        if (sameSign && m.Min() * 1.5 >= m.Max()) return MismatchSource.Formula;
        if (m[1] < m[0] && m[2] < m[1] && m[2] * 4 <= m[0]) return MismatchSource.Truncation;
        return MismatchSource.Rounding;
    }
}
