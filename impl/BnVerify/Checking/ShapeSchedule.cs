using System.Globalization;

namespace BnVerify.Checking;

/// <summary>Why a case has the shape it has: a scheduled edge or boundary shape, or a random one.</summary>
public enum ShapeClass
{
    /// <summary>An edge shape: N = 1, 2 or 3 (one sample has zero variance; two cancel to ~1e-6), or D = 1.</summary>
    Edge,

    /// <summary>N one below, at or one above a power of two from 4 to 4096 (blocks, unrolls, thread splits over rows), with a small D.</summary>
    RowBoundary,

    /// <summary>D one below, at or one above a power of two from 4 to 1024 (vector widths, tails, column tiles), with a small N.</summary>
    ColumnBoundary,

    /// <summary>N and D both one past a power of two from 4 to 128 (tiles over both axes).</summary>
    BothBoundary,

    /// <summary>A shape large enough that the fast kernels take their multi-core and non-temporal paths (16 MiB per float64 array).</summary>
    Scale,

    /// <summary>A shape drawn at random from the <see cref="GeneratorRange"/>.</summary>
    Random,
}

/// <summary>One scheduled shape.</summary>
/// <param name="N">Rows.</param>
/// <param name="D">Columns.</param>
/// <param name="Class">Which part of the schedule it belongs to.</param>
public sealed record ScheduledShape(int N, int D, ShapeClass Class)
{
    /// <summary>"65×3".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{N}×{D}");
}

/// <summary>
/// The shapes every run checks by design rather than by luck (issue 12): the edge shapes (N = 1, 2, 3; D = 1) and
/// shapes that straddle the boundaries kernels use — one below, at and one above every power of two from 4 to 4096
/// rows and from 4 to 1024 columns — up to N = 4096 and D = 1025, and one 2048×1024 shape (16 MiB per float64 array,
/// past the fast kernels' 2 MiB multi-core and 16 MiB non-temporal thresholds).
/// <para>
/// A boundary shape pairs the large dimension with a small one (N = 1025 with D ≤ 9, D = 1025 with N ≤ 9), so it costs
/// O(N·D) work, not O(N²·D): where N²·D exceeds <see cref="CheckOptions.FiniteDifferenceBudget"/> the checker judges
/// it with its closed form element by element plus the directional derivatives, under the same error model.
/// The partner dimension cycles through small values (1..9 columns, 2..9 rows) so that tails of a vector width and
/// N = 2 cancellation meet the boundaries too. Shapes are ordered by size (N·D), so the first failing scheduled case
/// of a run is its smallest, and a failure shrinks quickly.
/// </para>
/// Only the shapes are fixed: the values of a scheduled case are drawn from the run's seed like a random case's.
/// </summary>
public sealed class ShapeSchedule
{
    /// <summary>Largest N of the default schedule.</summary>
    public const int MaxRows = 4096;

    /// <summary>Largest power-of-two column boundary of the default schedule (D goes one past it).</summary>
    public const int MaxColumnBoundary = 1024;

    private ShapeSchedule(IReadOnlyList<ScheduledShape> shapes, string name)
    {
        Shapes = shapes;
        Name = name;
    }

    /// <summary>The scheduled shapes, smallest (N·D) first.</summary>
    public IReadOnlyList<ScheduledShape> Shapes { get; }

    /// <summary>"default" or "none" (or a name given to a custom schedule).</summary>
    public string Name { get; }

    /// <summary>No scheduled shapes: every case is random.</summary>
    public static ShapeSchedule None { get; } = new([], "none");

    /// <summary>
    /// The edge and boundary shapes described on the class, and the 2048×1024 scale shape: what <c>check</c> runs.
    /// Built anew on each read (77 small records): no caller can change another's list, and a change to the schedule's
    /// construction shows in every test that reads it, even one that runs after the first read in the same process.
    /// </summary>
    public static ShapeSchedule Default => new(Build(scale: true), "default");

    /// <summary>
    /// The edge and boundary shapes without the scale shape: for runs that check one implementation at a time (the
    /// property tests, the gate), where the 2048×1024 case would cost ~1.5 s of oracles per implementation, against
    /// ~0.25 s for all 76 other scheduled shapes. <c>check</c> and the no-false-alarm test prepare each problem's oracles
    /// once for every implementation, and keep it.
    /// </summary>
    public static ShapeSchedule Boundaries => new(Build(scale: false), "boundaries");

    /// <summary>A schedule of exactly <paramref name="shapes"/> (in the order given).</summary>
    public static ShapeSchedule Of(string name, IEnumerable<ScheduledShape> shapes)
    {
        ArgumentNullException.ThrowIfNull(shapes);
        var list = shapes.ToList();
        foreach (var s in list)
        {
            if (s.N < 1 || s.D < 1) throw new ArgumentOutOfRangeException(nameof(shapes), s, "every scheduled shape needs N ≥ 1 and D ≥ 1");
            if (s.Class == ShapeClass.Random) throw new ArgumentException("a scheduled shape cannot be of class Random", nameof(shapes));
        }
        return new ShapeSchedule(list, name);
    }

    /// <summary>
    /// This schedule <paramref name="times"/> times over (each pass drawn with other values, since a case's values come
    /// from its index), for runs that should meet every scheduled shape with several value draws.
    /// </summary>
    public ShapeSchedule Repeat(int times)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(times, 1);
        return new ShapeSchedule(Enumerable.Repeat(Shapes, times).SelectMany(s => s).ToList(), times == 1 ? Name : $"{Name}×{times}");
    }

    /// <summary>The powers of two the boundaries straddle: 4, 8, ..., <paramref name="max"/>.</summary>
    public static IEnumerable<int> PowersOfTwo(int max)
    {
        for (int b = 4; b <= max; b *= 2) yield return b;
    }

    private static List<ScheduledShape> Build(bool scale)
    {
        var shapes = new List<ScheduledShape>();
        // Edge shapes: N = 1 (var = 0, exact dx = 0), N = 2 (dx ~1e-6 of dout by cancellation), N = 3; D = 1.
        foreach (var (n, d) in new[] { (1, 1), (1, 4), (1, 13), (2, 1), (2, 5), (2, 16), (3, 1), (3, 6), (5, 1), (17, 1), (64, 1) })
            shapes.Add(new ScheduledShape(n, d, ShapeClass.Edge));

        // Row boundaries, each with a small D (1..9 in turn, so vector tails meet row blocks).
        int[] smallD = [3, 1, 5, 2, 7, 9, 4, 8, 6];
        int k = 0;
        foreach (int b in PowersOfTwo(MaxRows))
            foreach (int n in new[] { b - 1, b, b + 1 })
                if (n <= MaxRows) shapes.Add(new ScheduledShape(n, smallD[k++ % smallD.Length], ShapeClass.RowBoundary));

        // Column boundaries, each with a small N (2..9 in turn; N ≥ 2 so dx is not identically 0).
        int[] smallN = [5, 2, 7, 3, 9, 4, 8, 6];
        k = 0;
        foreach (int b in PowersOfTwo(MaxColumnBoundary))
            foreach (int d in new[] { b - 1, b, b + 1 })
                shapes.Add(new ScheduledShape(smallN[k++ % smallN.Length], d, ShapeClass.ColumnBoundary));

        // Both axes one past a boundary (tiles over rows and columns).
        foreach (int b in PowersOfTwo(128)) shapes.Add(new ScheduledShape(b + 1, b + 1, ShapeClass.BothBoundary));

        // One shape past the fast kernels' multi-core (2 MiB) and non-temporal (16 MiB) thresholds in float64 and float32.
        if (scale) shapes.Add(new ScheduledShape(2048, 1024, ShapeClass.Scale));

        // Smallest first (stable for equal sizes): the first failing scheduled case of a run is its smallest.
        return shapes.Select((s, i) => (s, i)).OrderBy(t => (long)t.s.N * t.s.D).ThenBy(t => t.i).Select(t => t.s).ToList();
    }
}
