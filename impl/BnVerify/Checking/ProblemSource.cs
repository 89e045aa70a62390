using System.Globalization;

namespace BnVerify.Checking;

/// <summary>
/// Where the verifier's problems come from: case <c>i</c> of seed <c>s</c> is one deterministic problem with its own
/// random source (<see cref="CaseRandom"/>), so every case is reproducible on its own and independent of how the work is
/// scheduled. <c>check</c>, the property tests and the library API all use it.
/// <para>
/// A run of K random cases is <see cref="Count"/>(K) cases: first every shape of the <see cref="Schedule"/> (edge and
/// boundary shapes, by design rather than by luck; <see cref="ShapeSchedule"/>), then K shapes drawn from
/// <see cref="Range"/>. Only the shapes are fixed: every case's values (scales, offsets, eps, gamma including 0 and
/// negative values, zero-variance columns) are drawn from <see cref="Range"/> with the case's own random source.
/// </para>
/// </summary>
/// <param name="Range">The range random shapes are drawn from, and every case's values.</param>
/// <param name="Schedule">The shapes checked before the random ones (rows × channels; <see cref="AsSpatial"/> for a spatial range).</param>
public sealed record ProblemSource(GeneratorRange Range, ShapeSchedule Schedule)
{
    /// <summary>The range random shapes are drawn from, and every case's values.</summary>
    public GeneratorRange Range { get; init; } = Range ?? throw new ArgumentNullException(nameof(Range));

    /// <summary>The shapes checked before the random ones.</summary>
    public ShapeSchedule Schedule { get; init; } = Schedule ?? throw new ArgumentNullException(nameof(Schedule));

    /// <summary>
    /// The default schedule (<see cref="ShapeSchedule.Default"/>) before random shapes from <paramref name="range"/>. For a
    /// spatial range each scheduled shape R×C is a batch of R = N·H·W rows of C channels (<see cref="AsSpatial"/>), so
    /// spatial runs meet the same edges and boundaries (one row; 9, 33, … channels; 65 rows) as N×D runs.
    /// </summary>
    public ProblemSource(GeneratorRange range) : this(range, ShapeSchedule.Default)
    {
    }

    /// <summary>The default source: <see cref="ShapeSchedule.Default"/>, then random shapes from <see cref="GeneratorRange.Default"/>.</summary>
    public static ProblemSource Default => new(GeneratorRange.Default);

    /// <summary>Random shapes only (no schedule), from <paramref name="range"/>.</summary>
    public static ProblemSource RandomOnly(GeneratorRange? range = null) => new(range ?? GeneratorRange.Default, ShapeSchedule.None);

    /// <summary>How many cases a run of <paramref name="randomCases"/> random cases has: the schedule's shapes plus those.</summary>
    public int Count(int randomCases)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(randomCases);
        return Schedule.Shapes.Count + randomCases;
    }

    /// <summary>Case <paramref name="index"/> of <paramref name="seed"/>: a scheduled shape while the schedule lasts, then a random one.</summary>
    public BatchNormProblem Case(int seed, int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        Range.Validate();
        var random = CaseRandom(seed, index);
        if (index < Schedule.Shapes.Count)
        {
            var shape = Schedule.Shapes[index];
            var problem = ProblemGenerator.Generate(random, shape.N, shape.D, Range);
            return Range.Layout == Layout.ND ? problem : problem.InLayout(AsSpatial(shape.N, shape.D), Range.Layout);
        }
        return ProblemGenerator.Generate(random, Range);
    }

    /// <summary>Why case <paramref name="index"/> has its shape.</summary>
    public ShapeClass ClassOf(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        return index < Schedule.Shapes.Count ? Schedule.Shapes[index].Class : ShapeClass.Random;
    }

    /// <summary>
    /// The mix of shapes a run of <paramref name="randomCases"/> random cases draws, for a report's header, e.g.
    /// "77 scheduled shapes (11 edge: N = 1, 2, 3 or D = 1; 32 row boundaries: N = 3..4096; ...) + 200 random (N ≤ 64, D ≤ 16)".
    /// </summary>
    public string Describe(int randomCases)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(randomCases);
        var random = Range.Layout == Layout.ND
            ? string.Create(CultureInfo.InvariantCulture, $"{randomCases} random (N ≤ {Range.MaxN}, D ≤ {Range.MaxD})")
            : string.Create(CultureInfo.InvariantCulture, $"{randomCases} random {Layouts.Name(Range.Layout)} (N ≤ {Range.MaxN}, C ≤ {Range.MaxD}, H ≤ {Range.MaxH}, W ≤ {Range.MaxW})");
        var shapes = Schedule.Shapes;
        if (shapes.Count == 0) return random;
        var parts = new List<string>();
        foreach (var group in shapes.GroupBy(s => s.Class).OrderBy(g => g.Key))
        {
            var g = group.ToList();
            string Span(Func<ScheduledShape, int> f) => g.Min(f) == g.Max(f) ? $"{g.Min(f)}" : $"{g.Min(f)}..{g.Max(f)}";
            parts.Add(group.Key switch
            {
                ShapeClass.Edge => $"{g.Count} edge: N = 1, 2, 3 or D = 1",
                ShapeClass.RowBoundary => $"{g.Count} row boundaries: N = {Span(s => s.N)} (2^k − 1, 2^k, 2^k + 1), D = {Span(s => s.D)}",
                ShapeClass.ColumnBoundary => $"{g.Count} column boundaries: D = {Span(s => s.D)} (2^k − 1, 2^k, 2^k + 1), N = {Span(s => s.N)}",
                ShapeClass.BothBoundary => $"{g.Count} both axes past 2^k: {string.Join(", ", g.Select(s => s.ToString()))}",
                ShapeClass.Scale => $"{g.Count} at scale: {string.Join(", ", g.Select(s => s.ToString()))}",
                _ => $"{g.Count} {group.Key}",
            });
        }
        string rows = Range.Layout == Layout.ND ? "" : ", as N·H·W rows × C channels";
        return $"{shapes.Count} scheduled shapes{rows} ({string.Join("; ", parts)}) + {random}";
    }

    /// <summary>
    /// A batch of <paramref name="rows"/> = N·H·W rows and <paramref name="channels"/> channels: H = 1 and W the largest
    /// divisor of the rows up to 8, so a scheduled row count becomes planes of several values where it can (2 rows: one
    /// image of 1×2; 4096 rows: 512 images of 1×8; a prime: that many images of 1×1).
    /// </summary>
    public static SpatialShape AsSpatial(int rows, int channels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        int w = Enumerable.Range(1, 8).Last(v => rows % v == 0);
        return new SpatialShape(rows / w, channels, 1, w);
    }

    /// <summary>
    /// The random source of case <paramref name="index"/> under <paramref name="seed"/>: SplitMix64 of (seed, index).
    /// </summary>
    public static Random CaseRandom(int seed, int index)
    {
        ulong z = ((ulong)(uint)seed << 32 | (uint)index) + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return new Random((int)(z & int.MaxValue));
    }
}
