namespace BnVerify.Checking;

/// <summary>
/// Shrinks a failing problem to one a person can check by hand: fewer rows, fewer columns, then simpler values
/// (small integers, gamma 1 or 2, beta 0, a round eps). Used by the property tests and by the command line's
/// <c>check</c>, so both report the same kind of counterexample.
/// <para>
/// Rows and columns are removed in chunks, halves first, then quarters, eighths, ... down to one, each chunk taken from
/// the end and from the start (then, on small shapes, every single row or column): a failure that needs N past a
/// boundary (a dropped partial block of 64 rows) shrinks from N = 4095 to N = 65 in a few dozen evaluations, one that
/// needs D past a boundary to the smallest D past it, and one that needs N = 1 to N = 1, without trying thousands of
/// single-row removals on a large shape.
/// </para>
/// </summary>
public static partial class ProblemShrinker
{
    /// <summary>Above this many rows (columns) single rows (columns) are removed only at the ends; below, each in turn.</summary>
    public const int SingleRemovalLimit = 64;

    /// <summary>The time <see cref="Minimize"/> may take by default: a guard for expensive predicates on large shapes, not a tuning knob.</summary>
    public static readonly TimeSpan DefaultTimeBudget = TimeSpan.FromSeconds(60);

    /// <summary>Simpler problems than <paramref name="p"/>, simplest first. Every candidate is a valid problem.</summary>
    public static IEnumerable<BatchNormProblem> Shrink(BatchNormProblem p)
    {
        ArgumentNullException.ThrowIfNull(p);
        int n = p.N, d = p.D;

        // A spatial problem loses whole images, planes' rows and columns, and channels (ShrinkSpatial), never single
        // rows of its canonical view, which would break its N×H×W structure.
        if (p.IsSpatial)
            foreach (var candidate in ShrinkSpatial(p)) yield return candidate;
        else
        {
            // Fewer rows: chunks of n/2, n/4, ..., 1 from the end and from the start, then single rows on small shapes.
            foreach (var rows in Removals(n)) yield return KeepRows(p, rows);

            // Fewer columns, the same way.
            foreach (var columns in Removals(d)) yield return KeepColumns(p, columns);
        }

        // Simpler values, one array at a time, so the shrink keeps whatever the failure needs.
        foreach (var candidate in SimplerValues(p)) yield return candidate;
    }

    /// <summary>
    /// Greedy minimization: repeatedly takes the first simpler problem on which <paramref name="fails"/> still holds,
    /// until none does, <paramref name="maxSteps"/> evaluations were made, or <paramref name="timeBudget"/>
    /// (default <see cref="DefaultTimeBudget"/>) has passed; the smallest failing problem found so far is returned.
    /// </summary>
    public static BatchNormProblem Minimize(BatchNormProblem p, Func<BatchNormProblem, bool> fails, int maxSteps = 2000, TimeSpan? timeBudget = null)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(fails);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var budget = timeBudget ?? DefaultTimeBudget;
        int steps = 0;
        bool improved = true;
        while (improved && steps < maxSteps && clock.Elapsed < budget)
        {
            improved = false;
            foreach (var candidate in Shrink(p))
            {
                if (++steps > maxSteps || clock.Elapsed >= budget) break;
                if (fails(candidate))
                {
                    p = candidate;
                    improved = true;
                    break;
                }
            }
        }
        return p;
    }

    /// <summary>
    /// The index sets to keep out of 0..<paramref name="count"/>−1, each one chunk shorter: the halves (when
    /// count &gt; 3), then chunks of count/4, count/8, ..., 2 and 1 removed at the end and at the start, then (up to
    /// <see cref="SingleRemovalLimit"/>) every single index removed in turn. No set is offered twice.
    /// </summary>
    private static IEnumerable<int[]> Removals(int count)
    {
        if (count <= 1) yield break;
        var seen = new HashSet<(int Start, int Length)>();
        IEnumerable<int[]> Keep(int start, int length)
        {
            if (length >= 1 && length < count && seen.Add((start, length))) yield return Enumerable.Range(start, length).ToArray();
        }
        IEnumerable<int[]> Without(int start, int length) // remove [start, start + length)
        {
            if (length < 1 || length >= count) yield break;
            if (start == 0) foreach (var k in Keep(length, count - length)) yield return k;
            else if (start + length == count) foreach (var k in Keep(0, count - length)) yield return k;
            else if (seen.Add((-start - 1, length))) yield return Enumerable.Range(0, count).Where(i => i < start || i >= start + length).ToArray();
        }
        if (count > 3)
        {
            foreach (var k in Keep(0, count / 2)) yield return k;
            foreach (var k in Keep(count / 2, count - count / 2)) yield return k;
        }
        for (int chunk = count / 4; chunk >= 1; chunk /= 2)
        {
            foreach (var k in Without(count - chunk, chunk)) yield return k;
            foreach (var k in Without(0, chunk)) yield return k;
        }
        if (count <= SingleRemovalLimit)
            for (int i = 0; i < count; i++)
                foreach (var k in Without(i, 1)) yield return k;
    }

    /// <summary>
    /// Simpler values for one array at a time. An array that is already simple (small integers, or a power of ten for
    /// eps) gets no candidates, and every candidate is simple or has fewer digits, so shrinking cannot cycle.
    /// </summary>
    private static IEnumerable<BatchNormProblem> SimplerValues(BatchNormProblem p)
    {
        if (!Simple(p.X))
            foreach (var x in new[] { Standardized(p.X, p.D), SmallIntegers(p.X, p.D), Digits(p.X, 2) })
                if (!Same(x, p.X)) yield return With(p, x: x);
        if (!Simple(p.Dout))
            foreach (var dout in new[] { SmallIntegers(p.Dout, p.D), Digits(p.Dout, 2) })
                if (!Same(dout, p.Dout)) yield return With(p, dout: dout);
        // gamma toward 1 and beta toward 0, the identity affine map, even from other small integers (a gamma of −1 stays
        // only when the failure needs its sign); other simple values are left alone, so shrinking cannot cycle.
        if (!Same(p.Gamma, Fill(p.D, 1.0)))
            foreach (var gamma in Simple(p.Gamma) ? [Fill(p.D, 1.0)] : new[] { Fill(p.D, 1.0), Fill(p.D, 2.0), Digits(p.Gamma, 1) })
                if (!Same(gamma, p.Gamma)) yield return With(p, gamma: gamma);
        if (!Same(p.Beta, Fill(p.D, 0.0)))
            foreach (var beta in Simple(p.Beta) ? [Fill(p.D, 0.0)] : new[] { Fill(p.D, 0.0), Fill(p.D, 1.0), Digits(p.Beta, 1) })
                if (!Same(beta, p.Beta)) yield return With(p, beta: beta);
        double powerOfTen = Math.Pow(10, Math.Round(Math.Log10(p.Eps)));
        if (p.Eps != powerOfTen)
            foreach (double eps in new[] { 1e-5, 0.1, powerOfTen })
                yield return With(p, eps: eps);
    }

    /// <summary>Small integers (|v| ≤ 5) are as simple as values get.</summary>
    private static bool Simple(double[] values) => values.All(v => v == Math.Round(v) && Math.Abs(v) <= 5);

    /// <summary>Each column centred and scaled to integers in −3..3: drops the offset and the scale, keeps the shape.</summary>
    private static double[] Standardized(double[] values, int d)
    {
        int n = values.Length / d;
        var result = new double[values.Length];
        for (int j = 0; j < d; j++)
        {
            double mean = 0, max = 0;
            for (int i = 0; i < n; i++) mean += values[i * d + j] / n;
            for (int i = 0; i < n; i++) max = Math.Max(max, Math.Abs(values[i * d + j] - mean));
            for (int i = 0; i < n; i++) result[i * d + j] = max == 0 ? 0 : Math.Round(3 * (values[i * d + j] - mean) / max) + 0.0; // + 0.0: never −0
        }
        return result;
    }

    /// <summary>Each column mapped to integers in −5..5 by its largest magnitude, keeping the offset's sign pattern.</summary>
    private static double[] SmallIntegers(double[] values, int d)
    {
        int n = values.Length / d;
        var result = new double[values.Length];
        for (int j = 0; j < d; j++)
        {
            double max = 0;
            for (int i = 0; i < n; i++) max = Math.Max(max, Math.Abs(values[i * d + j]));
            for (int i = 0; i < n; i++) result[i * d + j] = max == 0 ? 0 : Math.Round(5 * values[i * d + j] / max) + 0.0; // + 0.0: never −0
        }
        return result;
    }

    private static double[] Digits(double[] values, int digits) => values.Select(v =>
    {
        if (v == 0) return 0;
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(Math.Abs(v))) - digits + 1);
        return Math.Round(v / magnitude) * magnitude + 0.0;
    }).ToArray();

    private static double[] Fill(int d, double value) => Enumerable.Repeat(value, d).ToArray();

    private static bool Same(double[] a, double[] b) => a.AsSpan().SequenceEqual(b);

    private static BatchNormProblem With(BatchNormProblem p, double[]? x = null, double[]? gamma = null, double[]? beta = null, double? eps = null, double[]? dout = null) =>
        p.With(x, gamma, beta, eps, dout);

    private static BatchNormProblem KeepRows(BatchNormProblem p, int[] rows)
    {
        int d = p.D;
        var x = new double[rows.Length * d];
        var dout = new double[rows.Length * d];
        for (int r = 0; r < rows.Length; r++)
        {
            Array.Copy(p.X, rows[r] * d, x, r * d, d);
            Array.Copy(p.Dout, rows[r] * d, dout, r * d, d);
        }
        return new BatchNormProblem(rows.Length, d, x, p.Gamma, p.Beta, p.Eps, dout);
    }

    private static BatchNormProblem KeepColumns(BatchNormProblem p, int[] columns)
    {
        int n = p.N, d = columns.Length;
        var x = new double[n * d];
        var dout = new double[n * d];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < d; c++)
            {
                x[i * d + c] = p.X[i * p.D + columns[c]];
                dout[i * d + c] = p.Dout[i * p.D + columns[c]];
            }
        return new BatchNormProblem(n, d, x, columns.Select(c => p.Gamma[c]).ToArray(), columns.Select(c => p.Beta[c]).ToArray(), p.Eps, dout);
    }
}
