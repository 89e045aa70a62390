using BnVerify.Checking;
using Xunit;

namespace BnVerify.Verify;

/// <summary>
/// The problem source's own details that the mutation run of the checker (verify/mutation, scope <c>source</c>) found
/// unpinned: the range's validation at each edge, the schedule's and the source's argument checks, and the header that
/// describes a run's mix of shapes, word for word.
/// </summary>
public sealed class SourceTests
{
    public static TheoryData<string, GeneratorRange> ValidRanges => new()
    {
        { "MaxN = 1", GeneratorRange.Default with { MaxN = 1 } },
        { "MaxD = 1", GeneratorRange.Default with { MaxD = 1 } },
        { "MinScale = MaxScale", GeneratorRange.Default with { MinScale = 2, MaxScale = 2 } },
        { "MaxOffset = 0", GeneratorRange.Default with { MaxOffset = 0 } },
        { "MinEps = MaxEps", GeneratorRange.Default with { MinEps = 1e-5, MaxEps = 1e-5 } },
        { "chances 0", GeneratorRange.Default with { ZeroVarianceChance = 0, ConstantDoutChance = 0 } },
        { "chances 1", GeneratorRange.Default with { ZeroVarianceChance = 1, ConstantDoutChance = 1 } },
        { "MaxH = MaxW = 1", GeneratorRange.Spatial with { MaxH = 1, MaxW = 1 } },
    };

    [Theory]
    [MemberData(nameof(ValidRanges))]
    public void A_range_at_each_edge_of_its_options_is_valid_and_draws(string edge, GeneratorRange range)
    {
        range.Validate();
        var p = ProblemGenerator.Generate(new Random(1), range);
        Assert.True(p.N >= 1 && p.D >= 1, edge);
    }

    [Fact]
    public void Every_x_and_dout_is_drawn_and_the_chances_mean_what_they_say()
    {
        // dout is signed Gaussian times a column scale: never exactly 0 in any element (an element left unwritten would be).
        var random = new Random(2);
        for (int t = 0; t < 50; t++)
        {
            var p = ProblemGenerator.Generate(random);
            Assert.DoesNotContain(0.0, p.Dout);
        }
        // Chance 1: every column constant in x (var = 0), or in dout (exact dx = 0); chance 0: none.
        var always = ProblemGenerator.Generate(new Random(3), 9, 4, GeneratorRange.Default with { ZeroVarianceChance = 1, ConstantDoutChance = 1 });
        var never = ProblemGenerator.Generate(new Random(3), 9, 4, GeneratorRange.Default with { ZeroVarianceChance = 0, ConstantDoutChance = 0 });
        for (int j = 0; j < 4; j++)
        {
            Assert.All(Enumerable.Range(0, 9), i => Assert.Equal(always.X[j], always.X[i * 4 + j]));
            Assert.All(Enumerable.Range(0, 9), i => Assert.Equal(always.Dout[j], always.Dout[i * 4 + j]));
            Assert.Equal(9, Enumerable.Range(0, 9).Select(i => never.X[i * 4 + j]).Distinct().Count());
            Assert.Equal(9, Enumerable.Range(0, 9).Select(i => never.Dout[i * 4 + j]).Distinct().Count());
        }
    }

    public static TheoryData<string, GeneratorRange> InvalidRanges => new()
    {
        { "MaxN", GeneratorRange.Default with { MaxN = 0 } },
        { "MaxD", GeneratorRange.Default with { MaxD = 0 } },
        { "MinScale", GeneratorRange.Default with { MinScale = 0 } },
        { "MinScale", GeneratorRange.Default with { MinScale = 2, MaxScale = 1 } },
        { "MinScale", GeneratorRange.Default with { MaxScale = double.PositiveInfinity } },
        { "MaxOffset", GeneratorRange.Default with { MaxOffset = -1 } },
        { "MaxOffset", GeneratorRange.Default with { MaxOffset = double.PositiveInfinity } },
        { "MinEps", GeneratorRange.Default with { MinEps = 0 } },
        { "MinEps", GeneratorRange.Default with { MinEps = 1e-2, MaxEps = 1e-3 } },
        { "MinEps", GeneratorRange.Default with { MaxEps = double.PositiveInfinity } },
        { "ZeroVarianceChance", GeneratorRange.Default with { ZeroVarianceChance = -0.1 } },
        { "ZeroVarianceChance", GeneratorRange.Default with { ZeroVarianceChance = 1.1 } },
        { "ConstantDoutChance", GeneratorRange.Default with { ConstantDoutChance = -0.1 } },
        { "ConstantDoutChance", GeneratorRange.Default with { ConstantDoutChance = 1.1 } },
        { "Layout", GeneratorRange.Default with { Layout = (Layout)99 } },
        { "MaxH", GeneratorRange.Spatial with { MaxH = 0 } },
        { "MaxW", GeneratorRange.Spatial with { MaxW = 0 } },
    };

    [Theory]
    [MemberData(nameof(InvalidRanges))]
    public void A_range_past_an_edge_is_refused_naming_the_option(string option, GeneratorRange range)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(range.Validate);
        Assert.Equal(option, e.ParamName);
        // The message states the rule the value broke (check's errors show it), not only the option's name.
        Assert.Matches(@"^(must be at least 1|must be finite and ≥ 0|must be in \[0, 1\]|scales must satisfy 0 < min ≤ max < ∞|eps range must satisfy 0 < min ≤ max < ∞|not a layout) ", e.Message);
        Assert.Equal(option, Assert.Throws<ArgumentOutOfRangeException>(() => ProblemGenerator.Generate(new Random(1), range)).ParamName);
        Assert.Equal(option, Assert.Throws<ArgumentOutOfRangeException>(() => new ProblemSource(range, ShapeSchedule.None).Case(1, 0)).ParamName);
        if (range.Layout == Layout.ND) // a scheduled case validates the range too, not only a random one
            Assert.Equal(option, Assert.Throws<ArgumentOutOfRangeException>(() => new ProblemSource(range, ShapeSchedule.Boundaries).Case(1, 0)).ParamName);
    }

    [Fact]
    public void The_header_describes_the_default_run_word_for_word()
    {
        Assert.Equal(
            "77 scheduled shapes (11 edge: N = 1, 2, 3 or D = 1; 32 row boundaries: N = 3..4096 (2^k − 1, 2^k, 2^k + 1), D = 1..9; " +
            "27 column boundaries: D = 3..1025 (2^k − 1, 2^k, 2^k + 1), N = 2..9; 6 both axes past 2^k: 5×5, 9×9, 17×17, 33×33, 65×65, 129×129; " +
            "1 at scale: 2048×1024) + 200 random (N ≤ 64, D ≤ 16)",
            ProblemSource.Default.Describe(200));
        Assert.Equal("7 random (N ≤ 64, D ≤ 16)", ProblemSource.RandomOnly().Describe(7));
        Assert.Equal("150 random NCHW (N ≤ 6, C ≤ 6, H ≤ 7, W ≤ 7)", ProblemSource.RandomOnly(GeneratorRange.Spatial).Describe(150));
        Assert.Equal("1 scheduled shapes (1 edge: N = 1, 2, 3 or D = 1) + 0 random (N ≤ 64, D ≤ 16)",
            new ProblemSource(GeneratorRange.Default, ShapeSchedule.Of("one", [new ScheduledShape(1, 3, ShapeClass.Edge)])).Describe(0));
        Assert.Equal("1 scheduled shapes (1 row boundaries: N = 65 (2^k − 1, 2^k, 2^k + 1), D = 3) + 2 random (N ≤ 64, D ≤ 16)",
            new ProblemSource(GeneratorRange.Default, ShapeSchedule.Of("one", [new ScheduledShape(65, 3, ShapeClass.RowBoundary)])).Describe(2));
    }

    [Fact]
    public void Schedules_are_named_and_repeat_with_new_values()
    {
        Assert.Equal(("none", "default", "boundaries"), (ShapeSchedule.None.Name, ShapeSchedule.Default.Name, ShapeSchedule.Boundaries.Name));
        var twice = ShapeSchedule.Boundaries.Repeat(2);
        Assert.Equal("boundaries×2", twice.Name);
        Assert.Equal("boundaries", ShapeSchedule.Boundaries.Repeat(1).Name);
        Assert.Equal(2 * ShapeSchedule.Boundaries.Shapes.Count, twice.Shapes.Count);
        var source = new ProblemSource(GeneratorRange.Default, twice);
        int count = ShapeSchedule.Boundaries.Shapes.Count;
        Assert.Equal((source.Case(3, 0).N, source.Case(3, 0).D), (source.Case(3, count).N, source.Case(3, count).D));
        Assert.NotEqual(source.Case(3, 0).X, source.Case(3, count).X);
        Assert.Equal("times", Assert.Throws<ArgumentOutOfRangeException>(() => ShapeSchedule.Default.Repeat(0)).ParamName);
    }

    [Theory]
    [InlineData(0, 3, ShapeClass.Edge, "every scheduled shape needs N ≥ 1 and D ≥ 1")]
    [InlineData(3, 0, ShapeClass.Edge, "every scheduled shape needs N ≥ 1 and D ≥ 1")]
    [InlineData(2, 2, ShapeClass.Random, "a scheduled shape cannot be of class Random")]
    public void A_schedule_refuses_shapes_it_cannot_run(int n, int d, ShapeClass shapeClass, string why)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => ShapeSchedule.Of("bad", [new ScheduledShape(1, 1, ShapeClass.Edge), new ScheduledShape(n, d, shapeClass)]));
        Assert.Equal("shapes", e.ParamName);
        Assert.StartsWith(why, e.Message, StringComparison.Ordinal);
        Assert.Equal(2, ShapeSchedule.Of("good", [new ScheduledShape(1, 1, ShapeClass.Edge), new ScheduledShape(1, 1, ShapeClass.Scale)]).Shapes.Count);
        Assert.Throws<ArgumentNullException>(() => ShapeSchedule.Of("null", null!));
    }

    [Fact]
    public void A_source_refuses_negative_counts_and_indices_and_gives_a_spatial_range_the_schedule_as_rows_and_channels()
    {
        var source = ProblemSource.Default;
        Assert.Throws<ArgumentOutOfRangeException>(() => source.Count(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => source.Case(1, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => source.ClassOf(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => source.Describe(-1));
        // A spatial range takes the schedule too: each scheduled R×C shape as a batch of R = N·H·W rows of C channels.
        var spatial = new ProblemSource(GeneratorRange.Spatial);
        Assert.Equal(ShapeSchedule.Default.Shapes.Count, spatial.Schedule.Shapes.Count);
        for (int i = 0; i < spatial.Schedule.Shapes.Count; i += 7)
        {
            var (shape, problem) = (spatial.Schedule.Shapes[i], spatial.Case(1, i));
            Assert.True(problem.IsSpatial && problem.Layout == Layout.NCHW, problem.ToString());
            Assert.Equal((shape.N, shape.D), (problem.N, problem.D));
            Assert.Equal(ProblemSource.AsSpatial(shape.N, shape.D), problem.Shape);
        }
        Assert.Equal(new SpatialShape(1, 5, 1, 2), ProblemSource.AsSpatial(2, 5));
        Assert.Equal(new SpatialShape(512, 3, 1, 8), ProblemSource.AsSpatial(4096, 3));
        Assert.Equal(new SpatialShape(127, 1, 1, 1), ProblemSource.AsSpatial(127, 1));
        Assert.Equal("rows", Assert.Throws<ArgumentOutOfRangeException>(() => ProblemSource.AsSpatial(0, 3)).ParamName);
        Assert.Equal("channels", Assert.Throws<ArgumentOutOfRangeException>(() => ProblemSource.AsSpatial(3, 0)).ParamName);
        Assert.StartsWith("77 scheduled shapes, as N·H·W rows × C channels (11 edge: ", spatial.Describe(5), StringComparison.Ordinal);
        Assert.Contains("; 1 at scale: 2048×1024) + 5 random NCHW", spatial.Describe(5), StringComparison.Ordinal);
        // A negative index is refused by the source itself, naming the value: without that guard it would fall to the
        // schedule list's indexer (−1 < Count), whose exception has the same type and parameter name but no actual value.
        var randomOnly = ProblemSource.RandomOnly();
        foreach (var refused in new[] { Assert.Throws<ArgumentOutOfRangeException>(() => randomOnly.Case(1, -1)),
                                        Assert.Throws<ArgumentOutOfRangeException>(() => randomOnly.ClassOf(-1)),
                                        Assert.Throws<ArgumentOutOfRangeException>(() => ProblemSource.Default.Case(1, -2)) })
        {
            Assert.Equal("index", refused.ParamName);
            Assert.NotNull(refused.ActualValue);
        }
        Assert.Throws<ArgumentNullException>(() => new ProblemSource(GeneratorRange.Default, null!));
        Assert.Equal("shapes", Assert.Throws<ArgumentNullException>(() => ShapeSchedule.Of("none", null!)).ParamName);
        Assert.Throws<ArgumentNullException>(() => new ProblemSource(null!, ShapeSchedule.None));
        Assert.Throws<ArgumentNullException>(() => ProblemGenerator.Generate(null!));
        Assert.Throws<ArgumentNullException>(() => ProblemGenerator.Generate(null!, 2, 2));
    }
}
