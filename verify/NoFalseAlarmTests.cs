using BnVerify.Bench;
using BnVerify.Checking;
using Xunit;
using Xunit.Abstractions;

namespace BnVerify.Verify;

/// <summary>
/// The checker's specificity: over 10,000 problems — the scheduled edge and boundary shapes, several times over, then
/// random ones across the generator's whole range (fixed seed) — no implementation declared correct is ever flagged. The oracles are computed once per problem and shared by all
/// implementations, and the problems run on every core, to keep this fast enough for CI.
/// </summary>
public sealed class NoFalseAlarmTests(ITestOutputHelper output)
{
    private const int Cases = 10_000;
    private const int Seed = 777;

    /// <summary>How many times the edge and boundary shapes are run, each time with other values.</summary>
    private const int ScheduleRounds = 4;

    [Fact]
    public void Correct_implementations_raise_no_false_alarm_over_10000_random_cases()
    {
        var correct = BuiltIn.Implementations.All.Where(i => i.Info.Declared == Verdict.Correct).ToList();
        var alarms = new System.Collections.Concurrent.ConcurrentBag<string>();
        // Every decade of the range: scales, offsets, eps, zero-variance columns, constant dout columns now and then.
        var range = new GeneratorRange(ZeroVarianceChance: 0.1, ConstantDoutChance: 0.05);
        // The scheduled edge and boundary shapes (up to 4096 rows and 1025 columns) several times over with fresh values,
        // check's 2048×1024 case once, then random shapes: 10,000 cases in all.
        var schedule = ShapeSchedule.Of("boundaries×4 + scale", ShapeSchedule.Boundaries.Repeat(ScheduleRounds).Shapes
            .Concat(ShapeSchedule.Default.Shapes.Where(s => s.Class == ShapeClass.Scale)));
        var source = new ProblemSource(range, schedule);
        int randomCases = Cases - source.Schedule.Shapes.Count;
        output.WriteLine($"cases: {source.Describe(randomCases)}");
        Parallel.For(0, source.Count(randomCases), new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, c =>
        {
            var problem = source.Case(Seed, c);
            foreach (var result in GradientChecker.CheckAll(correct, problem))
                if (!result.Pass) alarms.Add($"case {c} (seed {Seed}): {result.Id}: {result.Summary()}\n{result.Problem}");
        });
        output.WriteLine($"{correct.Count} correct implementations × {Cases} cases: {alarms.Count} false alarms");
        Assert.True(alarms.IsEmpty, string.Join("\n", alarms.Take(3)));
    }
}
