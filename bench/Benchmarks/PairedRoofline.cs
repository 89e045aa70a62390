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

/// <summary>
/// What a kernel variant costs, from paired rounds: per round, the variant's time divided by the time of the kernel it comes
/// from in that same round, minus 1 (0.27 = 27% slower); the median and quartiles over the rounds.
/// </summary>
/// <param name="Variant">The variant's name (<see cref="KernelVariant.Name"/>).</param>
/// <param name="Shape">"NxD".</param>
/// <param name="Median">Median change over the rounds (fraction).</param>
/// <param name="Q1">First quartile (fraction).</param>
/// <param name="Q3">Third quartile (fraction).</param>
/// <param name="Rounds">Number of rounds.</param>
public sealed record VariantCost(string Variant, string Shape, double Median, double Q1, double Q3, int Rounds);

/// <summary>The paired measurements of one suite run.</summary>
/// <param name="Percent">Paired % of roofline per (fast kernel, variant or peer, shape).</param>
/// <param name="Variants">The cost of every variant at every shape, against its own kernel.</param>
/// <param name="PeerRatios">Paired peer time / kernel time per (peer, kernel, shape), for every fast kernel of the peer's type and thread count.</param>
public sealed record PairedResult(
    IReadOnlyDictionary<(string Id, string Shape), PairedPercent> Percent,
    IReadOnlyList<VariantCost> Variants,
    IReadOnlyDictionary<(string Peer, string Kernel, string Shape), PairedRatio> PeerRatios);

/// <summary>
/// The roofline measured in paired rounds, after the BenchmarkDotNet run. BenchmarkDotNet measures one benchmark after
/// another, so a kernel and the yardstick it is compared with run seconds or minutes apart; on this shared machine the
/// memory bandwidth other tenants leave moves by ±20% over such spans, and a percentage of two numbers from different
/// windows carries that noise (the committed runs have shown both 70% and 109%). Here every round times the yardsticks and
/// the fast kernels (and their variants) back to back, in a shuffled order (<see cref="GateMeasurement.Times"/>), and the
/// percentage is formed within the round, so drift between rounds cancels; one-thread pairs are compared on the calling
/// thread's CPU time, pairs with a multi-core side on the wall clock (see <see cref="GateMeasurement"/>). One-thread kernels are compared with the faster
/// of the one-thread yardsticks (ordinary or non-temporal stores) in the same round, multi-core kernels with the fastest of
/// all three. A variant's cost is its time over its own kernel's, the two timed back to back in each round
/// (<see cref="GateMeasurement.PairRatios"/>, as the gate times a kernel against its yardstick).
/// The peers (oneDNN) run in the same rounds, always on the wall clock (their work runs on OpenMP's threads): they get a
/// paired percentage too, and their time is divided by each fast kernel's of the same element type and thread count round
/// by round (<see cref="PairedRatio"/>).
/// </summary>
public static class PairedRoofline
{
    /// <summary>
    /// Paired percentages for every fast kernel, variant and peer in <paramref name="plan"/>, at every shape of the plan,
    /// the cost of every variant, and the peers' paired ratios to the fast kernels. <paramref name="rounds"/> rounds of
    /// batches of about 50 ms per action.
    /// </summary>
    public static PairedResult Measure(SuitePlan plan, int rounds, int seed, Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var percent = new Dictionary<(string, string), PairedPercent>();
        var costs = new List<VariantCost>();
        var peerRatios = new Dictionary<(string, string, string), PairedRatio>();
        var registry = plan.Registered;
        string TypeOf(string id) => BenchTargets.TypeOf(id, registry);
        bool IsMultiCore(string id) => BenchTargets.IsMultiCore(id, plan.Threads, registry);
        bool RunsOnOneThread(string id, string shape) => BenchTargets.RunsOnOneThread(id, shape, plan.Threads, registry);
        var fast = plan.Ids.Where(id => BenchTargets.IsFast(id, registry)).ToList();
        var peers = plan.Ids.Where(PeerSet.IsPeer).ToList();
        foreach (var type in fast.Concat(peers).Select(TypeOf).Distinct())
            foreach (var shape in plan.Shapes)
            {
                var sticks = BenchTargets.Yardsticks(type);
                var kernels = fast.Where(id => TypeOf(id) == type).ToList();
                var typePeers = peers.Where(id => TypeOf(id) == type && PeerSet.AppliesAt(id, shape)).ToList();
                var timed = sticks.Concat(kernels).Concat(typePeers).Select(id => (id, BenchTargets.Bind(id, shape, plan.Threads, plan.PeerRows, registry))).ToList();
                progress?.Invoke($"paired roofline {type} {shape}: {rounds} rounds of {timed.Count} actions");
                var times = GateMeasurement.Times(timed, rounds, TimeSpan.FromMilliseconds(50), seed);
                foreach (var id in kernels.Concat(typePeers))
                {
                    bool multi = IsMultiCore(id);
                    var against = sticks.Where(s => multi || !IsMultiCore(s)).ToList();
                    // A one-thread kernel against the one-thread yardsticks on the thread CPU clock; a multi-core one on the wall clock.
                    bool oneThread = RunsOnOneThread(id, shape);
                    var vsSticks = against.Select(s => times[s].RatiosTo(times[id], oneThread && RunsOnOneThread(s, shape))).ToList();
                    var percents = Enumerable.Range(0, rounds).Select(r => 100 * vsSticks.Min(v => v[r])).Order().ToArray();
                    percent[(id, shape)] = new PairedPercent(Quantile(percents, 0.5), Quantile(percents, 0.25), Quantile(percents, 0.75), rounds);
                }

                // Each peer against every kernel of its type and thread count, round by round, on the wall clock.
                foreach (var peer in typePeers)
                    foreach (var kernel in kernels.Where(k => !KernelVariant.IsVariant(k) && plan.ThreadsOf(k) == plan.ThreadsOf(peer)))
                    {
                        var perRound = times[peer].RatiosTo(times[kernel], oneThread: false).Order().ToArray();
                        peerRatios[(peer, kernel, shape)] = new PairedRatio(Quantile(perRound, 0.5), Quantile(perRound, 0.25), Quantile(perRound, 0.75),
                            perRound[0], perRound[^1], rounds);
                    }

                // Each variant against its own kernel, the two timed back to back (as the gate times a kernel against its yardstick).
                var variants = kernels.Where(KernelVariant.IsVariant).ToList();
                if (variants.Count == 0) continue;
                var actions = timed.ToDictionary(t => t.id, t => t.Item2);
                var pairs = variants.Select(v =>
                {
                    string kernel = BenchTargets.BaseId(v);
                    bool oneThread = RunsOnOneThread(v, shape) && RunsOnOneThread(kernel, shape);
                    return new TimedPair(v, actions[v], kernel, actions[kernel], oneThread);
                }).ToList();
                progress?.Invoke($"variants {type} {shape}: {rounds} rounds, each variant back to back with its kernel");
                var ratios = GateMeasurement.PairRatios(pairs, rounds, TimeSpan.FromMilliseconds(20), seed);
                foreach (var pair in pairs)
                {
                    var changes = ratios[pair.Id].Select(v => v - 1).Order().ToArray();
                    costs.Add(new VariantCost(pair.Id, shape, Quantile(changes, 0.5), Quantile(changes, 0.25), Quantile(changes, 0.75), rounds));
                    progress?.Invoke($"  {pair.Id} at {shape}: median {Quantile(changes, 0.5):+0.0%;-0.0%;+0.0%} " +
                                     $"(IQR {Quantile(changes, 0.25):+0.0%;-0.0%;+0.0%} to {Quantile(changes, 0.75):+0.0%;-0.0%;+0.0%}) against {pair.ReferenceId}, {(pair.OneThread ? "thread CPU" : "wall")} clock");
                }
            }
        return new PairedResult(percent, costs, peerRatios);
    }

    /// <summary>Linear-interpolation quantile of sorted values.</summary>
    public static double Quantile(double[] sorted, double q)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        double position = q * (sorted.Length - 1);
        int lower = (int)Math.Floor(position);
        int upper = Math.Min(sorted.Length - 1, lower + 1);
        return sorted[lower] + (position - lower) * (sorted[upper] - sorted[lower]);
    }
}
