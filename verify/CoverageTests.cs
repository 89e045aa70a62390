using System.Globalization;
using BnVerify.Checking;
using BnVerify.Kernels;
using BnVerify.Verification;
using BnVerify.Verify.Support;
using Xunit;
using Xunit.Abstractions;

namespace BnVerify.Verify;

/// <summary>
/// Coverage pins (issue 18, point 2): the default problem source, at the default case count and seed of each run that uses
/// it, draws every class of problem it promises, so narrowing the source (the schedule, the generator or its range) turns
/// a test red with a message naming each class that went missing. The promised classes are listed here — this list is the
/// specification; the sources, case counts, seeds, range bounds and kernel thresholds are read from the library and the
/// tests that use them, so the pins follow the real defaults. Each test enumerates its run's cases once.
/// </summary>
public sealed class CoverageTests(ITestOutputHelper output)
{
    private static GeneratorRange Range => GeneratorRange.Default;

    /// <summary>The edge shapes: N = 1 (one sample: var = 0, the exact dx is 0), N = 2 (dx ~1e-6 of dout by cancellation), N = 3, D = 1.</summary>
    public static IReadOnlyList<Promise> EdgeShapes { get; } =
    [
        new("N = 1", c => c.Problem.N == 1),
        new("N = 1 with D > 1", c => c.Problem.N == 1 && c.Problem.D > 1),
        new("N = 2", c => c.Problem.N == 2),
        new("N = 3", c => c.Problem.N == 3),
        new("D = 1", c => c.Problem.D == 1),
        new("D = 1 with N > 3", c => c.Problem.D == 1 && c.Problem.N > 3),
    ];

    /// <summary>
    /// One below, at and one above every power of two 2^k: rows for k = 2..12 (up to 4097 would pass 4096; the schedule
    /// stops at 4096 rows), columns for k = 2..10, both axes one past 2^k for k = 2..7.
    /// </summary>
    public static IReadOnlyList<Promise> BoundaryShapes { get; } = BuildBoundaries();

    /// <summary>The shape at scale: a float64 array past both of the fast kernels' thresholds (multi-core and non-temporal), a float32 one past the multi-core threshold.</summary>
    public static IReadOnlyList<Promise> ScaleShape { get; } =
    [
        new(string.Create(CultureInfo.InvariantCulture,
                $"at scale: a float64 array of ≥ {Math.Max(KernelOptions.DefaultParallelThresholdBytes, KernelOptions.DefaultNonTemporalThresholdBytes) >> 20} MiB " +
                $"(the kernels' multi-core and non-temporal thresholds) and a float32 one of ≥ {KernelOptions.DefaultParallelThresholdBytes >> 20} MiB"),
            c => c.Problem.Layout == Layout.ND
                 && (long)c.Problem.N * c.Problem.D * sizeof(double) >= Math.Max(KernelOptions.DefaultParallelThresholdBytes, KernelOptions.DefaultNonTemporalThresholdBytes)
                 && (long)c.Problem.N * c.Problem.D * sizeof(float) >= KernelOptions.DefaultParallelThresholdBytes),
    ];

    /// <summary>
    /// The values every run promises (<see cref="GeneratorRange"/>'s and <see cref="ProblemGenerator"/>'s doc comments,
    /// README "What the tests claim"): constant columns, large offsets, zero and negative gamma, tiny and large eps, every
    /// decade of the column spread, signed non-uniform dout.
    /// </summary>
    public static IReadOnlyList<Promise> Values { get; } = BuildValues();

    /// <summary>What the random draws alone promise (the runs with no schedule: <c>check --no-schedule</c>, FsCheck's arbitrary): both ends of the range's N and D.</summary>
    public static IReadOnlyList<Promise> RandomShapes { get; } =
    [
        new("random draws: N = 1", c => c.IsRandom && c.Problem.N == 1),
        new("random draws: N = 2", c => c.IsRandom && c.Problem.N == 2),
        new("random draws: N > 32 (past a 32-row block)", c => c.IsRandom && c.Problem.N > 32),
        new(string.Create(CultureInfo.InvariantCulture, $"random draws: N in the top eighth of 1..{Range.MaxN}"), c => c.IsRandom && c.Problem.N > Range.MaxN - Range.MaxN / 8),
        new(string.Create(CultureInfo.InvariantCulture, $"random draws: N = {Range.MaxN}"), c => c.IsRandom && c.Problem.N == Range.MaxN),
        new("random draws: D = 1", c => c.IsRandom && c.Problem.D == 1),
        new("random draws: D > 8 (past a vector of 8)", c => c.IsRandom && c.Problem.D > 8),
        new(string.Create(CultureInfo.InvariantCulture, $"random draws: D = {Range.MaxD}"), c => c.IsRandom && c.Problem.D == Range.MaxD),
    ];

    /// <summary>
    /// What the spatial generator promises (<see cref="ProblemGenerator"/>'s spatial part, <see cref="GeneratorRange.Spatial"/>):
    /// one image with H·W &gt; 1, H = W = 1, odd H and W, both ends of every axis, constant channels; and the 2-D values.
    /// </summary>
    public static IReadOnlyList<Promise> SpatialShapes { get; } = BuildSpatial();

    /// <summary>Everything <c>check</c> and the verifier promise by default: <see cref="ProblemSource.Default"/>.</summary>
    public static IReadOnlyList<Promise> DefaultSource { get; } = [.. EdgeShapes, .. BoundaryShapes, .. ScaleShape, .. Values, .. RandomShapes];

    /// <summary>The property tests' source (<see cref="Properties.Source"/>): all of it but the scale shape, which is left to check and the no-false-alarm test.</summary>
    public static IReadOnlyList<Promise> PropertySource { get; } = [.. EdgeShapes, .. BoundaryShapes, .. Values, .. RandomShapes];

    [Fact]
    public void Check_and_the_verifier_by_default_draw_every_promised_class_of_problem()
    {
        // VerifierOptions.Default: ProblemSource.Default, 200 random cases, seed DefaultSeed; `check` with its defaults is the
        // same run under the seed it prints (its --cases default is VerifierOptions.Default.Cases).
        var options = VerifierOptions.Default;
        AssertCovers(DefaultSource, options.Source, options.Seed, options.Cases, "VerifierOptions.Default (check's defaults)");
    }

    [Fact]
    public void The_property_tests_draw_every_promised_class_but_the_scale_shape()
    {
        AssertCovers(PropertySource, Properties.Source(), Properties.DefaultSeed, BackwardPropertyTests.Cases, "Properties.Source() (BackwardPropertyTests)");
        Assert.DoesNotContain(Properties.Source().Schedule.Shapes, s => s.Class == ShapeClass.Scale);
    }

    [Fact]
    public void The_spatial_source_draws_every_promised_class_of_spatial_problem()
    {
        // SpatialTests' run (150 random cases; check --layout nchw draws 200, the same first 150 and more) and the verifier's seed.
        var source = ProblemSource.RandomOnly(GeneratorRange.Spatial);
        AssertCovers(SpatialShapes, source, Properties.DefaultSeed, SpatialTests.Cases, "the spatial source (SpatialTests)");
        AssertCovers(SpatialShapes, source, VerifierOptions.DefaultSeed, SpatialTests.Cases, "the spatial source (verifier seed)");
    }

    [Fact]
    public void Each_case_draws_from_SplitMix64_of_the_seed_and_the_index()
    {
        // The documented case source (README "Seeds"): SplitMix64's first output from the state seed·2^32 + index, its low
        // 31 bits seeding System.Random. States 0 and 1 give SplitMix64's published first outputs 0xE220A8397B1DCDAF and
        // 0x910A2DEC89025CC1; seed 7, case 5 gives 0xF90639B22B02A930 (computed apart, in Python).
        Assert.Equal(new Random(0x7B1DCDAF).NextDouble(), ProblemSource.CaseRandom(0, 0).NextDouble());
        Assert.Equal(new Random(0x09025CC1).NextDouble(), ProblemSource.CaseRandom(0, 1).NextDouble());
        Assert.Equal(new Random(0x2B02A930).NextDouble(), ProblemSource.CaseRandom(7, 5).NextDouble());
    }

    private void AssertCovers(IReadOnlyList<Promise> promises, ProblemSource source, int seed, int randomCases, string what)
    {
        var drawn = Coverage.Draw(source, seed, randomCases);
        output.WriteLine($"{what}, seed {seed}: {source.Describe(randomCases)}");
        output.WriteLine(Coverage.Tally(promises, drawn));
        var missing = Coverage.Missing(promises, drawn);
        Assert.True(missing.Count == 0,
            $"{what} with seed {seed} ({drawn.Count} cases: {source.Describe(randomCases)}) never drew {missing.Count} promised class(es) of problem:\n  " +
            string.Join("\n  ", missing));
    }

    private static List<Promise> BuildBoundaries()
    {
        var promises = new List<Promise>();
        string Near(int b, int delta) => delta == 0 ? $"2^{Math.Log2(b)}" : $"2^{Math.Log2(b)} {(delta < 0 ? "−" : "+")} 1";
        for (int k = 2; k <= 12; k++)
            foreach (int delta in new[] { -1, 0, 1 })
            {
                int b = 1 << k, n = b + delta;
                if (n > ShapeSchedule.MaxRows) continue; // 4097 rows: the schedule stops at its largest N
                promises.Add(new($"N = {n} ({Near(b, delta)})", c => c.Problem.N == n));
            }
        for (int k = 2; k <= 10; k++)
            foreach (int delta in new[] { -1, 0, 1 })
            {
                int b = 1 << k, d = b + delta;
                promises.Add(new($"D = {d} ({Near(b, delta)})", c => c.Problem.D == d));
            }
        for (int k = 2; k <= 7; k++)
        {
            int past = (1 << k) + 1;
            promises.Add(new($"N = D = {past} (both axes past 2^{k})", c => c.Problem.N == past && c.Problem.D == past));
        }
        return promises;
    }

    private static List<Promise> BuildValues()
    {
        var promises = new List<Promise>
        {
            Promise.AnyColumn("a constant (zero-variance) column, N ≥ 2", s => s.Constant, c => c.Problem.N >= 2),
            Promise.AnyColumn("a constant column of ≥ 1024 equal values (the forward's mean residue ρ)", s => s.Constant, c => c.Problem.N >= 1024),
            Promise.AnyColumn("a centred column (|mean| ≤ σ)", s => !s.Constant && Math.Abs(s.Mean) <= s.Spread, c => c.Problem.N >= 2),
            // Offsets measured by |mean|/σ (so κ = max|x|/σ is at least as large) over N ≥ 4 rows: two or three Gaussian draws
            // can land close enough together to look offset by chance; four practically never do.
            Promise.AnyColumn("a large offset: |mean| ≥ 1e3·σ (κ = max|x|/σ ≥ 1e3), N ≥ 4", s => LargeOffset(s, 1e3), c => c.Problem.N >= 4),
            Promise.AnyColumn("a very large offset: |mean| ≥ 1e6·σ, N ≥ 4", s => LargeOffset(s, 1e6), c => c.Problem.N >= 4),
            Promise.AnyColumn("a large offset at N ≥ 1024 (|mean| ≥ 1e3·σ: the mean's rounding walk √N·κ)", s => LargeOffset(s, 1e3), c => c.Problem.N >= 1024),
            Promise.AnyColumn("gamma = 0", s => s.Gamma == 0),
            Promise.AnyColumn("gamma = −1", s => s.Gamma == -1),
            Promise.AnyColumn("gamma < 0, not −1", s => s.Gamma < 0 && s.Gamma != -1),
            Promise.AnyColumn("gamma > 0 away from 1 (|gamma − 1| ≥ 0.5)", s => s.Gamma > 0 && Math.Abs(s.Gamma - 1) >= 0.5),
            Promise.AnyColumn("small |gamma| (0 < |gamma| ≤ 0.1)", s => s.Gamma != 0 && Math.Abs(s.Gamma) <= 0.1),
            Promise.AnyColumn("beta < 0", s => s.Beta < 0),
            Promise.AnyColumn("beta > 0", s => s.Beta > 0),
            Promise.AnyColumn("dout of both signs in one column", s => s.DoutBothSigns),
            new("eps dominates the variance (eps ≥ 100·σ², σ > 0)", c => c.Columns.Any(s => s.Spread > 0 && c.Problem.Eps >= 100 * s.Spread * s.Spread)),
            new("the variance dominates eps (σ² ≥ 100·eps)", c => c.Columns.Any(s => s.Spread * s.Spread >= 100 * c.Problem.Eps)),
            new(string.Create(CultureInfo.InvariantCulture, $"tiny eps: eps < 10·{Range.MinEps:G3}"), c => c.Problem.Eps < 10 * Range.MinEps),
            new(string.Create(CultureInfo.InvariantCulture, $"large eps: eps > {Range.MaxEps:G3}/10"), c => c.Problem.Eps > Range.MaxEps / 10),
        };
        // Log-uniform spreads: every decade of MinScale..MaxScale (a column of N ≥ 8, so σ is near its scale).
        for (double lo = Range.MinScale; lo < Range.MaxScale * (1 - 1e-9); lo *= 10)
        {
            double from = lo, to = lo * 10;
            promises.Add(Promise.AnyColumn(string.Create(CultureInfo.InvariantCulture, $"a column spread σ in [{from:G3}, {to:G3})"),
                s => !s.Constant && s.Spread >= from && s.Spread < to, c => c.Problem.N >= 8));
        }
        return promises;
    }

    private static bool LargeOffset(ColumnStats s, double spreads) => !s.Constant && Math.Abs(s.Mean) >= spreads * s.Spread;

    private static List<Promise> BuildSpatial()
    {
        var range = GeneratorRange.Spatial;
        var spatial = new List<Promise>
        {
            new(string.Create(CultureInfo.InvariantCulture, $"N×C×H×W presented in {Layouts.Name(range.Layout)}"), c => c.Problem.IsSpatial && c.Problem.Layout == range.Layout),
            new("one image (N = 1) with H·W > 1", c => c.Problem.Shape is { N: 1, PlaneSize: > 1 }),
            new("H = W = 1 (the 2-D problem) with N > 1", c => c.Problem.Shape is { H: 1, W: 1, N: > 1 }),
            new("odd H and W, H·W > 1", c => c.Problem.Shape is { } s && s.H % 2 == 1 && s.W % 2 == 1 && s.PlaneSize > 1),
            new("H ≠ W", c => c.Problem.Shape.H != c.Problem.Shape.W),
            new("several images (N ≥ 2) with H·W > 1", c => c.Problem.Shape is { N: >= 2, PlaneSize: > 1 }),
            new(string.Create(CultureInfo.InvariantCulture, $"N = {range.MaxN} images"), c => c.Problem.Shape.N == range.MaxN),
            new("C = 1 channel", c => c.Problem.Shape.C == 1),
            new(string.Create(CultureInfo.InvariantCulture, $"C = {range.MaxD} channels"), c => c.Problem.Shape.C == range.MaxD),
            new(string.Create(CultureInfo.InvariantCulture, $"H = {range.MaxH}"), c => c.Problem.Shape.H == range.MaxH),
            new(string.Create(CultureInfo.InvariantCulture, $"W = {range.MaxW}"), c => c.Problem.Shape.W == range.MaxW),
            Promise.AnyColumn("a constant channel, N·H·W ≥ 2", s => s.Constant, c => c.Problem.N >= 2),
            Promise.AnyColumn("gamma = 0", s => s.Gamma == 0),
            Promise.AnyColumn("gamma < 0", s => s.Gamma < 0),
            Promise.AnyColumn("a large offset: |mean| ≥ 1e3·σ, N·H·W ≥ 4", s => LargeOffset(s, 1e3), c => c.Problem.N >= 4),
            new(string.Create(CultureInfo.InvariantCulture, $"tiny eps: eps < 10·{range.MinEps:G3}"), c => c.Problem.Eps < 10 * range.MinEps),
            new(string.Create(CultureInfo.InvariantCulture, $"large eps: eps > {range.MaxEps:G3}/10"), c => c.Problem.Eps > range.MaxEps / 10),
        };
        return spatial;
    }
}
