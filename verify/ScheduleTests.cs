using BnVerify.Bench;
using BnVerify.Checking;
using BnVerify.Doctor;
using Xunit;
using Xunit.Abstractions;

namespace BnVerify.Verify;

/// <summary>
/// Coverage by design (issue 12): every run draws the edge shapes and the shapes that straddle the boundaries kernels
/// use, deterministically, before its random ones; and a failure at a boundary shrinks to the smallest shape past it.
/// </summary>
public sealed class ScheduleTests(ITestOutputHelper output)
{
    [Fact]
    public void The_schedule_has_every_edge_shape_and_every_boundary_from_4_to_4096_rows_and_1024_columns()
    {
        var shapes = ShapeSchedule.Default.Shapes;
        output.WriteLine(ProblemSource.Default.Describe(200));
        foreach (int n in new[] { 1, 2, 3 }) Assert.Contains(shapes, s => s.N == n && s.Class == ShapeClass.Edge);
        Assert.Contains(shapes, s => s.D == 1 && s.Class == ShapeClass.Edge);
        foreach (int b in ShapeSchedule.PowersOfTwo(4096))
            foreach (int n in new[] { b - 1, b, b + 1 }.Where(n => n <= 4096))
                Assert.Contains(shapes, s => s.N == n && s.Class == ShapeClass.RowBoundary);
        foreach (int b in ShapeSchedule.PowersOfTwo(1024))
            foreach (int d in new[] { b - 1, b, b + 1 })
                Assert.Contains(shapes, s => s.D == d && s.Class == ShapeClass.ColumnBoundary);
        // A large dimension is paired with a small one, so every boundary shape is O(N·D) to check.
        Assert.All(shapes.Where(s => s.Class is ShapeClass.RowBoundary or ShapeClass.ColumnBoundary), s => Assert.True(Math.Min(s.N, s.D) <= 9, s.ToString()));
        Assert.Equal(shapes.Select(s => (long)s.N * s.D).Order(), shapes.Select(s => (long)s.N * s.D)); // smallest first
        Assert.Single(shapes, s => s.Class == ShapeClass.Scale);
        Assert.DoesNotContain(ShapeSchedule.Boundaries.Shapes, s => s.Class == ShapeClass.Scale);
        Assert.Equal(shapes.Count - 1, ShapeSchedule.Boundaries.Shapes.Count);
    }

    [Fact]
    public void Cases_come_scheduled_first_then_random_and_are_deterministic()
    {
        var source = ProblemSource.Default;
        int scheduled = source.Schedule.Shapes.Count;
        Assert.Equal(scheduled + 200, source.Count(200));
        for (int i = 0; i < scheduled; i++)
        {
            if (source.Schedule.Shapes[i].Class == ShapeClass.Scale) continue;
            var p = source.Case(7, i);
            Assert.Equal((source.Schedule.Shapes[i].N, source.Schedule.Shapes[i].D), (p.N, p.D));
            Assert.Equal(source.Schedule.Shapes[i].Class, source.ClassOf(i));
        }
        Assert.Equal(ShapeClass.Random, source.ClassOf(scheduled));
        var a = source.Case(7, scheduled + 3);
        var b = source.Case(7, scheduled + 3);
        Assert.Equal(a.X, b.X);
        Assert.True(a.N <= 64 && a.D <= 16);
        // Only the shapes are fixed: another seed draws other values at the same scheduled shape.
        Assert.NotEqual(source.Case(7, 5).X, source.Case(8, 5).X);
        Assert.Equal(200, ProblemSource.RandomOnly().Count(200));
        Assert.Contains("77 scheduled shapes", source.Describe(200));
        Assert.Contains("+ 200 random (N ≤ 64, D ≤ 16)", source.Describe(200));
    }

    [Theory]
    [InlineData("mutant-block64-tail", 4095, 3, 65, 0)]
    [InlineData("mutant-column-tile32", 5, 1025, 0, 33)]
    [InlineData("mutant-vector-tail8", 9, 1023, 0, 9)]
    [InlineData("mutant-one-sample-direct", 1, 1025, 1, 1)]
    public void A_boundary_failure_shrinks_to_the_smallest_shape_past_the_boundary_quickly(string id, int n, int d, int expectN, int expectD)
    {
        var impl = BuiltIn.Implementations.Get(id);
        var problem = ProblemGenerator.Generate(new Random(3), n, d);
        Assert.False(GradientChecker.Check(impl, problem).Pass);
        int evaluations = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var shrunk = ProblemShrinker.Minimize(problem, p =>
        {
            evaluations++;
            return !GradientChecker.Check(impl, p).Pass;
        });
        output.WriteLine($"{id}: {n}×{d} shrunk to {shrunk.N}×{shrunk.D} in {evaluations} checks, {clock.Elapsed.TotalSeconds:F1} s");
        if (expectN > 0) Assert.Equal(expectN, shrunk.N);
        if (expectD > 0) Assert.Equal(expectD, shrunk.D);
        // Halving first: a few hundred checks, not thousands of single-row removals.
        Assert.True(evaluations < 600, $"{evaluations} checks");
    }
}
