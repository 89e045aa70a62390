using BnVerify.Checking;

namespace BnVerify.Verify.Support;

/// <summary>What one column of a drawn problem looks like (over the N rows of its canonical view; N·H·W for a spatial problem).</summary>
/// <param name="Mean">The column's mean.</param>
/// <param name="Spread">Its standard deviation σ (population, without eps): 0 for a constant column.</param>
/// <param name="MaxAbsX">max|x|.</param>
/// <param name="Constant">Every x of the column is the same value.</param>
/// <param name="Gamma">gamma of the column.</param>
/// <param name="Beta">beta of the column.</param>
/// <param name="DoutBothSigns">dout takes both signs in the column.</param>
/// <param name="DoutUniform">dout is the same value in every row of the column.</param>
public sealed record ColumnStats(double Mean, double Spread, double MaxAbsX, bool Constant, double Gamma, double Beta, bool DoutBothSigns, bool DoutUniform)
{
    /// <summary>κ = max|x|/σ, the column's condition (how many digits x − mean loses); +∞ for a constant column.</summary>
    public double Kappa => Spread > 0 ? MaxAbsX / Spread : double.PositiveInfinity;
}

/// <summary>One case a problem source drew: its index in the run, why it has its shape, and the problem.</summary>
/// <param name="Index">Case index under the run's seed.</param>
/// <param name="Class">The scheduled shape's class, or <see cref="ShapeClass.Random"/>.</param>
/// <param name="Problem">The problem.</param>
public sealed record Drawn(int Index, ShapeClass Class, BatchNormProblem Problem)
{
    private IReadOnlyList<ColumnStats>? _columns;

    /// <summary>True for a case whose shape was drawn at random (not scheduled).</summary>
    public bool IsRandom => Class == ShapeClass.Random;

    /// <summary>The problem's columns (channels), computed once.</summary>
    public IReadOnlyList<ColumnStats> Columns => _columns ??= Stats(Problem);

    private static List<ColumnStats> Stats(BatchNormProblem p)
    {
        int n = p.N, d = p.D;
        var columns = new List<ColumnStats>(d);
        for (int j = 0; j < d; j++)
        {
            double sum = 0, maxAbs = 0;
            bool constant = true, positive = false, negative = false, uniform = true;
            double first = p.X[j], firstDout = p.Dout[j];
            for (int i = 0; i < n; i++)
            {
                double x = p.X[i * d + j], g = p.Dout[i * d + j];
                sum += x;
                maxAbs = Math.Max(maxAbs, Math.Abs(x));
                constant &= x == first;
                uniform &= g == firstDout;
                positive |= g > 0;
                negative |= g < 0;
            }
            double mean = sum / n, squares = 0;
            for (int i = 0; i < n; i++) squares += (p.X[i * d + j] - mean) * (p.X[i * d + j] - mean);
            columns.Add(new ColumnStats(mean, constant ? 0 : Math.Sqrt(squares / n), maxAbs, constant, p.Gamma[j], p.Beta[j], positive && negative, uniform));
        }
        return columns;
    }
}

/// <summary>A class of problem a source promises to draw: its name (what a failure reports) and the predicate one drawn case satisfies.</summary>
/// <param name="Name">What the class is, e.g. "N = 1" or "gamma = 0".</param>
/// <param name="Holds">True when the drawn case belongs to the class.</param>
public sealed record Promise(string Name, Func<Drawn, bool> Holds)
{
    /// <summary>A class of one column of a case: some column of the case satisfies <paramref name="column"/> (and the case <paramref name="when"/>).</summary>
    public static Promise AnyColumn(string name, Func<ColumnStats, bool> column, Func<Drawn, bool>? when = null) =>
        new(name, c => (when?.Invoke(c) ?? true) && c.Columns.Any(column));
}

/// <summary>Enumerates a source's cases once and says which promised classes none of them belongs to.</summary>
public static class Coverage
{
    /// <summary>Every case of a run of <paramref name="randomCases"/> random cases of <paramref name="source"/> under <paramref name="seed"/>, in order.</summary>
    public static IReadOnlyList<Drawn> Draw(ProblemSource source, int seed, int randomCases) =>
        Enumerable.Range(0, source.Count(randomCases)).Select(i => new Drawn(i, source.ClassOf(i), source.Case(seed, i))).ToList();

    /// <summary>The names of the promises no drawn case belongs to, in the order promised.</summary>
    public static IReadOnlyList<string> Missing(IEnumerable<Promise> promises, IReadOnlyList<Drawn> drawn) =>
        promises.Where(p => !drawn.Any(p.Holds)).Select(p => p.Name).ToList();

    /// <summary>How many drawn cases belong to each promised class, one line per class (for the test output).</summary>
    public static string Tally(IEnumerable<Promise> promises, IReadOnlyList<Drawn> drawn) =>
        string.Join("\n", promises.Select(p => $"{drawn.Count(p.Holds),5}  {p.Name}"));
}
