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
/// <param name="Schedule">The shapes checked before the random ones: N×D shapes, so only with an N×D range.</param>
public sealed record ProblemSource(GeneratorRange Range, ShapeSchedule Schedule)
{
    /// <summary>The scheduled shapes: N×D, so a spatial range (whose shapes are drawn at random) takes none.</summary>
    public ShapeSchedule Schedule { get; init; } =
        Schedule is null ? throw new ArgumentNullException(nameof(Schedule))
        : Range is null ? throw new ArgumentNullException(nameof(Range))
        : Range.Layout == Layout.ND || Schedule.Shapes.Count == 0 ? Schedule
        : throw new ArgumentException($"the shape schedule is N×D; a {Layouts.Name(Range.Layout)} range draws its shapes at random (use ShapeSchedule.None)", nameof(Schedule));

    /// <summary>
    /// The default schedule (<see cref="ShapeSchedule.Default"/>) before random shapes from <paramref name="range"/>; for a
    /// spatial range, random shapes only.
    /// </summary>
    public ProblemSource(GeneratorRange range) : this(range, range?.Layout is Layout.ND or null ? ShapeSchedule.Default : ShapeSchedule.None)
    {
    }

    /// <summary>The default source: <see cref="ShapeSchedule.Default"/>, then random shapes from <see cref="GeneratorRange.Default"/>.</summary>
    public static ProblemSource Default { get; } = new(GeneratorRange.Default);

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
            return ProblemGenerator.Generate(random, shape.N, shape.D, Range);
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
        return $"{shapes.Count} scheduled shapes ({string.Join("; ", parts)}) + {random}";
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
