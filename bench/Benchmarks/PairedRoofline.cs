using BnVerify.Bench.Gate;
using BnVerify.Bench.Peers;

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
/// A peer's time over one BnVerify kernel's, from paired rounds: per round, the peer's time divided by the kernel's time in
/// that same round (above 1: the BnVerify kernel is faster); the median and quartiles over the rounds.
/// </summary>
/// <param name="Median">Median over the rounds of peer time / kernel time.</param>
/// <param name="Q1">First quartile.</param>
/// <param name="Q3">Third quartile.</param>
/// <param name="Min">Smallest per-round ratio.</param>
/// <param name="Max">Largest per-round ratio.</param>
/// <param name="Rounds">Number of rounds.</param>
public sealed record PairedRatio(double Median, double Q1, double Q3, double Min, double Max, int Rounds);

/// <summary>What the paired rounds measured: the roofline percentages and the peers' ratios to the BnVerify kernels.</summary>
/// <param name="Percents">Paired % of roofline per (id, shape), for the fast kernels and the peers.</param>
/// <param name="PeerRatios">Paired peer time / kernel time per (peer, kernel, shape), for every fast kernel of the peer's type and thread count.</param>
public sealed record PairedResult(
    IReadOnlyDictionary<(string Id, string Shape), PairedPercent> Percents,
    IReadOnlyDictionary<(string Peer, string Kernel, string Shape), PairedRatio> PeerRatios);

/// <summary>
/// The roofline measured in paired rounds, after the BenchmarkDotNet run. BenchmarkDotNet measures one benchmark after
/// another, so a kernel and the yardstick it is compared with run seconds or minutes apart; on this shared machine the
/// memory bandwidth other tenants leave moves by ±20% over such spans, and a percentage of two numbers from different
/// windows carries that noise (the committed runs have shown both 70% and 109%). Here every round times the yardsticks and
/// the fast kernels back to back, in a shuffled order (<see cref="GateMeasurement.Times"/>), and the percentage is formed
/// within the round, so drift between rounds cancels. One-thread kernels are compared with the faster of the one-thread
/// yardsticks (ordinary or non-temporal stores) in the same round, multi-core kernels with the fastest of all three.
/// The peers (oneDNN) run in the same rounds: they get a paired percentage too, and their time is divided by each fast
/// kernel's of the same element type and thread count round by round (<see cref="PairedRatio"/>).
/// </summary>
public static class PairedRoofline
{
    /// <summary>
    /// Paired percentages for every <see cref="Family.Fast"/> implementation and every peer in <paramref name="plan"/>, at
    /// every shape of the plan, keyed by (id, shape), and the peers' paired ratios to the fast kernels.
    /// <paramref name="rounds"/> rounds of batches of about 50 ms per action.
    /// </summary>
    public static PairedResult Measure(SuitePlan plan, int rounds, int seed, Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var result = new Dictionary<(string, string), PairedPercent>();
        var ratios = new Dictionary<(string, string, string), PairedRatio>();
        var fast = plan.Ids.Where(id => !BenchmarkSuite.IsYardstick(id) && !PeerSet.IsPeer(id) && BuiltIn.Implementations.Get(id).Info.Family == Family.Fast).ToList();
        var peers = plan.Ids.Where(PeerSet.IsPeer).ToList();
        foreach (var type in fast.Concat(peers).Select(BenchmarkSuite.TypeOf).Distinct())
            foreach (var shape in plan.Shapes)
            {
                var sticks = BenchmarkSuite.Yardsticks(type);
                var kernels = fast.Where(id => BenchmarkSuite.TypeOf(id) == type).ToList();
                var typePeers = peers.Where(id => BenchmarkSuite.TypeOf(id) == type).ToList();
                var timed = sticks.Concat(kernels).Concat(typePeers).Select(id => (id, BenchmarkSuite.Bind(id, shape))).ToList();
                progress?.Invoke($"paired roofline {type} {shape}: {rounds} rounds of {timed.Count} actions");
                var times = GateMeasurement.Times(timed, rounds, TimeSpan.FromMilliseconds(50), seed);
                foreach (var id in kernels.Concat(typePeers))
                {
                    var against = sticks.Where(s => BenchmarkSuite.IsMultiCore(id) || !BenchmarkSuite.IsMultiCore(s)).ToList();
                    var percents = Enumerable.Range(0, rounds)
                        .Select(r => 100 * against.Min(s => times[s][r]) / times[id][r])
                        .Order().ToArray();
                    result[(id, shape)] = new PairedPercent(Quantile(percents, 0.5), Quantile(percents, 0.25), Quantile(percents, 0.75), rounds);
                }
                foreach (var peer in typePeers)
                    foreach (var kernel in kernels.Where(k => plan.ThreadsOf(k) == plan.ThreadsOf(peer)))
                    {
                        var perRound = Enumerable.Range(0, rounds).Select(r => times[peer][r] / times[kernel][r]).Order().ToArray();
                        ratios[(peer, kernel, shape)] = new PairedRatio(Quantile(perRound, 0.5), Quantile(perRound, 0.25), Quantile(perRound, 0.75),
                            perRound[0], perRound[^1], rounds);
                    }
            }
        return new PairedResult(result, ratios);
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
