using BnVerify.Bench.Gate;

namespace BnVerify.Bench.Benchmarks;

/// <summary>
/// One fast kernel's share of the roofline from paired rounds: per round, the best yardstick's time divided by the kernel's
/// time in that same round; the median and quartiles over the rounds, in percent.
/// </summary>
/// <param name="Median">Median over the rounds, percent of the roofline.</param>
/// <param name="Q1">First quartile, percent.</param>
/// <param name="Q3">Third quartile, percent.</param>
/// <param name="Rounds">Number of rounds.</param>
public sealed record PairedPercent(double Median, double Q1, double Q3, int Rounds);

/// <summary>
/// The roofline measured in paired rounds, after the BenchmarkDotNet run. BenchmarkDotNet measures one benchmark after
/// another, so a kernel and the yardstick it is compared with run seconds or minutes apart; on this shared machine the
/// memory bandwidth other tenants leave moves by ±20% over such spans, and a percentage of two numbers from different
/// windows carries that noise (the committed runs have shown both 70% and 109%). Here every round times the yardsticks and
/// the fast kernels back to back, in a shuffled order (<see cref="GateMeasurement.Times"/>), and the percentage is formed
/// within the round, so drift between rounds cancels. One-thread kernels are compared with the faster of the one-thread
/// yardsticks (ordinary or non-temporal stores) in the same round, multi-core kernels with the fastest of all three.
/// </summary>
public static class PairedRoofline
{
    /// <summary>
    /// Paired percentages for every <see cref="Family.Fast"/> implementation in <paramref name="plan"/>, at every shape of the
    /// plan, keyed by (id, shape). <paramref name="rounds"/> rounds of batches of about 50 ms per action.
    /// </summary>
    public static IReadOnlyDictionary<(string Id, string Shape), PairedPercent> Measure(SuitePlan plan, int rounds, int seed, Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var result = new Dictionary<(string, string), PairedPercent>();
        var fast = plan.Ids.Where(id => !BenchmarkSuite.IsYardstick(id) && BuiltIn.Implementations.Get(id).Info.Family == Family.Fast).ToList();
        foreach (var type in fast.Select(BenchmarkSuite.TypeOf).Distinct())
            foreach (var shape in plan.Shapes)
            {
                var sticks = BenchmarkSuite.Yardsticks(type);
                var kernels = fast.Where(id => BenchmarkSuite.TypeOf(id) == type).ToList();
                var timed = sticks.Concat(kernels).Select(id => (id, BenchmarkSuite.Bind(id, shape))).ToList();
                progress?.Invoke($"paired roofline {type} {shape}: {rounds} rounds of {timed.Count} actions");
                var times = GateMeasurement.Times(timed, rounds, TimeSpan.FromMilliseconds(50), seed);
                foreach (var id in kernels)
                {
                    var against = sticks.Where(s => BenchmarkSuite.IsMultiCore(id) || !BenchmarkSuite.IsMultiCore(s)).ToList();
                    var percents = Enumerable.Range(0, rounds)
                        .Select(r => 100 * against.Min(s => times[s][r]) / times[id][r])
                        .Order().ToArray();
                    result[(id, shape)] = new PairedPercent(Quantile(percents, 0.5), Quantile(percents, 0.25), Quantile(percents, 0.75), rounds);
                }
            }
        return result;
    }

    /// <summary>Linear-interpolation quantile of sorted values.</summary>
    private static double Quantile(double[] sorted, double q)
    {
        double position = q * (sorted.Length - 1);
        int lower = (int)Math.Floor(position);
        int upper = Math.Min(sorted.Length - 1, lower + 1);
        return sorted[lower] + (position - lower) * (sorted[upper] - sorted[lower]);
    }
}
