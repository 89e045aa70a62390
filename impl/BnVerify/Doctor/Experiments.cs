using BnVerify.Checking;

namespace BnVerify.Doctor;

/// <summary>
/// The doctor's controlled re-runs over shapes: the implementation on doctor-style values (<see cref="DoctorProblems.Shaped"/>:
/// gamma away from 0, no constant columns, offsets within ±3 spreads) at every size one below, at and one above the
/// powers of two, N varied at the failing case's D and D varied at the failing case's N. Which sizes fail says whether a
/// failure belongs to an edge (N = 1), to a boundary (N past 64, D past 32) or to a tail (D not a multiple of 8).
/// </summary>
internal sealed class ShapeSweep
{
    /// <summary>Sizes tried on each axis: the edges and 2^k − 1, 2^k, 2^k + 1 up to 4096 (columns up to 1025).</summary>
    public static readonly int[] Sizes = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 256, 257, 511, 512, 513, 1023, 1024, 1025, 2047, 2048, 2049, 4095, 4096];

    /// <summary>Largest N·D a sweep problem may have (2 MiB per float64 array): keeps a sweep to well under a second.</summary>
    public const long MaxElements = 1 << 18;

    private ShapeSweep(List<DoctorSample> rows, List<DoctorSample> columns, int fixedD, int fixedN)
    {
        Rows = rows;
        Columns = columns;
        FixedD = fixedD;
        FixedN = fixedN;
    }

    /// <summary>N varied, D = <see cref="FixedD"/>.</summary>
    public IReadOnlyList<DoctorSample> Rows { get; }

    /// <summary>D varied (up to 1025), N = <see cref="FixedN"/>.</summary>
    public IReadOnlyList<DoctorSample> Columns { get; }

    public int FixedD { get; }
    public int FixedN { get; }

    /// <summary>Every sweep sample.</summary>
    public IEnumerable<DoctorSample> All => Rows.Concat(Columns);

    public static ShapeSweep Run(IBatchNormBackward impl, int seed, int fixedN, int fixedD)
    {
        var rows = Sizes.Where(n => (long)n * fixedD <= MaxElements)
            .Select((n, i) => new DoctorSample(impl, DoctorProblems.Shaped(seed, 5000 + i, n, fixedD), $"a re-run at {n}×{fixedD}")).ToList();
        var columns = Sizes.Where(d => d <= 1025 && (long)fixedN * d <= MaxElements)
            .Select((d, i) => new DoctorSample(impl, DoctorProblems.Shaped(seed, 6000 + i, fixedN, d), $"a re-run at {fixedN}×{d}")).ToList();
        return new ShapeSweep(rows, columns, fixedD, fixedN);
    }

    /// <summary>The N pattern of gradient <paramref name="g"/>.</summary>
    public (string Text, bool Informative) RowPattern(GradientName g) =>
        Patterns.Sizes("N", Rows.Select(s => (s.N, s.FailsAnywhere(g))).ToList());

    /// <summary>The D pattern of gradient <paramref name="g"/>.</summary>
    public (string Text, bool Informative) ColumnPattern(GradientName g) =>
        Patterns.Sizes("D", Columns.Select(s => (s.D, s.FailsAnywhere(g))).ToList());
}

/// <summary>
/// A column property a failure may be confined to (gamma = 0, gamma &lt; 0, var = 0), with a controlled re-run that
/// confirms it: give the property to a column that passes and it must start failing; take it from one that fails and it
/// must pass.
/// </summary>
internal sealed record ColumnProperty(string Name, Func<DoctorSample, int, bool> Holds, Func<BatchNormProblem, int, BatchNormProblem> Give, Func<BatchNormProblem, int, BatchNormProblem> Take, string GiveWords, string TakeWords)
{
    public static IReadOnlyList<ColumnProperty> All { get; } =
    [
        new("gamma = 0", (s, j) => s.Problem.Gamma[j] == 0, (p, j) => WithGamma(p, j, 0), (p, j) => WithGamma(p, j, 0.7), "setting gamma = 0", "setting gamma = 0.7"),
        new("var = 0 (the column is constant)", (s, j) => s.Var[j] == 0, Constant, Spread, "making the column constant", "spreading the column's values"),
        new("gamma < 0", (s, j) => s.Problem.Gamma[j] < 0, (p, j) => WithGamma(p, j, -Math.Max(Math.Abs(p.Gamma[j]), 0.7)), (p, j) => WithGamma(p, j, Math.Max(Math.Abs(p.Gamma[j]), 0.7)), "making gamma negative", "making gamma positive"),
        new("gamma ≤ 0", (s, j) => s.Problem.Gamma[j] <= 0, (p, j) => WithGamma(p, j, -Math.Max(Math.Abs(p.Gamma[j]), 0.7)), (p, j) => WithGamma(p, j, Math.Max(Math.Abs(p.Gamma[j]), 0.7)), "making gamma negative", "making gamma positive"),
    ];

    /// <summary>The column sits at least <paramref name="spreads"/> spreads from 0 (|mean|·invStd ≥ spreads).</summary>
    public static ColumnProperty OffsetAtLeast(double spreads) => new(
        $"the offset is at least {spreads:0} spreads (|mean|·invStd ≥ {spreads:0})",
        (s, j) => s.Offset(j) >= spreads,
        (p, j) => Shifted(p, j, 10 * spreads),
        (p, j) => Shifted(p, j, 0),
        $"shifting the column to {10 * spreads:0} spreads from 0",
        "centring the column");

    /// <summary>Column j moved so its mean is <paramref name="spreads"/> of its spreads from 0 (its spread and shape kept).</summary>
    private static BatchNormProblem Shifted(BatchNormProblem p, int j, double spreads)
    {
        double mean = 0, var = 0;
        for (int i = 0; i < p.N; i++) mean += p.X[i * p.D + j] / p.N;
        for (int i = 0; i < p.N; i++) var += (p.X[i * p.D + j] - mean) * (p.X[i * p.D + j] - mean) / p.N;
        double spread = Math.Sqrt(var);
        if (spread == 0) spread = 1;
        var x = (double[])p.X.Clone();
        for (int i = 0; i < p.N; i++) x[i * p.D + j] = p.X[i * p.D + j] - mean + spreads * spread;
        return new BatchNormProblem(p.N, p.D, x, p.Gamma, p.Beta, p.Eps, p.Dout);
    }

    private static BatchNormProblem WithGamma(BatchNormProblem p, int j, double value)
    {
        var gamma = (double[])p.Gamma.Clone();
        gamma[j] = value;
        return new BatchNormProblem(p.N, p.D, p.X, gamma, p.Beta, p.Eps, p.Dout);
    }

    private static BatchNormProblem Constant(BatchNormProblem p, int j)
    {
        var x = (double[])p.X.Clone();
        for (int i = 0; i < p.N; i++) x[i * p.D + j] = p.X[j];
        return new BatchNormProblem(p.N, p.D, x, p.Gamma, p.Beta, p.Eps, p.Dout);
    }

    private static BatchNormProblem Spread(BatchNormProblem p, int j)
    {
        var x = (double[])p.X.Clone();
        for (int i = 0; i < p.N; i++) x[i * p.D + j] = p.X[j] + (i - (p.N - 1) / 2.0);
        return new BatchNormProblem(p.N, p.D, x, p.Gamma, p.Beta, p.Eps, p.Dout);
    }
}

/// <summary>How the error of one gradient grows along one controlled axis (N, or the columns' offset in spreads).</summary>
/// <param name="Axis">"N" or "the offset".</param>
/// <param name="Points">(value of the axis, RMS error in natural units (NaN when not finite), RMS rounding floor in natural units).</param>
/// <param name="Slope">Least-squares slope of log(error) on log(axis) over the measurable points (NaN when fewer than 3).</param>
/// <param name="Fit">R² of that regression.</param>
internal sealed record Growth(string Axis, IReadOnlyList<(double At, double Error, double Floor)> Points, double Slope, double Fit)
{
    /// <summary>
    /// A point is measurable when its error is finite, above the rounding floor (an eighth of the checker's allowance: what
    /// a correct implementation's rounding reaches, so rounding noise that grows like √N is never taken for a flaw) and
    /// below 0.05 (past that a cancelled variance is garbage, not a trend).
    /// </summary>
    private static bool IsMeasurable((double At, double Error, double Floor) p) => double.IsFinite(p.Error) && p.Error > p.Floor && p.Error < 0.05;

    /// <summary>At least three points could be measured.</summary>
    public bool Measurable => Points.Count(IsMeasurable) >= 3;

    /// <summary>The error grows by at least 4 over the range and like axis^0.3 or faster, and the power law fits (R² ≥ 0.9).</summary>
    public bool Grows
    {
        get
        {
            var m = Points.Where(IsMeasurable).ToList();
            return m.Count >= 3 && Slope >= 0.3 && Fit >= 0.9 && m[^1].Error >= 4 * m[0].Error;
        }
    }

    public string Sentence
    {
        get
        {
            var m = Points.Where(IsMeasurable).ToList();
            if (m.Count < 2) return $"with {Axis} it could not be measured (the error is within rounding, not finite or saturated at every point)";
            string span = $"{Num.Sci(m[0].Error)} at {Axis} = {Num.G(m[0].At)} to {Num.Sci(m[^1].Error)} at {Axis} = {Num.G(m[^1].At)}";
            return Grows
                ? $"grows with {Axis} ({span}, ∝ {(Axis == "N" ? "N" : "offset")}^{Slope:0.0}, R² = {Fit:0.00})"
                : $"does not grow with {Axis} ({span})";
        }
    }

    /// <summary>RMS error of gradient <paramref name="g"/> over problems at each value of the axis (two draws each).</summary>
    public static Growth Measure(string axis, IBatchNormBackward impl, GradientName g, int seed, IReadOnlyList<double> at, Func<double, int, BatchNormProblem> make)
    {
        var points = new List<(double, double, double)>();
        foreach (double a in at)
        {
            double sum = 0, floor = 0;
            int count = 0;
            bool finite = true;
            for (int draw = 0; draw < 2; draw++)
            {
                var s = new DoctorSample(impl, make(a, draw), $"{axis} = {a}");
                int length = s.Actual.Of(g).Length;
                for (int k = 0; k < length; k++)
                {
                    double e = s.ErrorUnits(g, k);
                    double f = s.Model.InUnits(g, k, s.Model.Allowance(g, k, s.U) / 8);
                    if (!double.IsFinite(e)) finite = false;
                    else if (double.IsFinite(f))
                    {
                        sum += e * e;
                        floor += f * f;
                        count++;
                    }
                }
            }
            points.Add((a, finite && count > 0 ? Math.Sqrt(sum / count) : double.NaN, count > 0 ? Math.Sqrt(floor / count) : double.NaN));
        }
        var m = points.Where(IsMeasurable).ToList();
        double slope = double.NaN, fit = 0;
        if (m.Count >= 3)
        {
            var xs = m.Select(p => Math.Log(p.Item1)).ToArray();
            var ys = m.Select(p => Math.Log(p.Item2)).ToArray();
            double mx = xs.Average(), my = ys.Average();
            double sxy = 0, sxx = 0, syy = 0;
            for (int i = 0; i < xs.Length; i++)
            {
                sxy += (xs[i] - mx) * (ys[i] - my);
                sxx += (xs[i] - mx) * (xs[i] - mx);
                syy += (ys[i] - my) * (ys[i] - my);
            }
            slope = sxx > 0 ? sxy / sxx : double.NaN;
            fit = sxx > 0 && syy > 0 ? sxy * sxy / (sxx * syy) : 0;
        }
        return new Growth(axis, points, slope, fit);
    }

    /// <summary>N = 16, 64, 256, 1024, 4096 at D = 4, offsets within ±3 spreads.</summary>
    public static Growth WithN(IBatchNormBackward impl, GradientName g, int seed) =>
        Measure("N", impl, g, seed, [16, 64, 256, 1024, 4096], (n, draw) => DoctorProblems.Shaped(seed, 7000 + draw, (int)n, 4));

    /// <summary>Offsets of 1, 10, 100, 1000 and 10000 spreads at N = 8, D = 4 (a small N keeps the N·κ rounding floor low).</summary>
    public static Growth WithOffset(IBatchNormBackward impl, GradientName g, int seed) =>
        Measure("the offset", impl, g, seed, [1, 10, 100, 1000, 10000], (o, draw) => DoctorProblems.Shaped(seed, 8000 + draw, 8, 4, o));
}
