using System.Diagnostics;

namespace BnVerify.Bench.Gate;

/// <summary>
/// An action timed against its own reference in adjacent batches (<see cref="GateMeasurement.PairRatios"/>).
/// </summary>
/// <param name="Id">The action's name (a kernel id).</param>
/// <param name="Run">The action.</param>
/// <param name="ReferenceId">The reference's name (a bandwidth yardstick).</param>
/// <param name="Reference">The reference action.</param>
/// <param name="OneThread">True when both run on the calling thread alone: then compared on the thread CPU clock, else on the wall clock.</param>
public sealed record TimedPair(string Id, Action Run, string ReferenceId, Action Reference, bool OneThread);

/// <summary>
/// One action's per-round seconds per call, on two clocks read around the same batches: the wall clock, and the calling
/// thread's CPU time (<see cref="ThreadClock"/>; NaN where the platform has none).
/// </summary>
/// <param name="Wall">Wall-clock seconds per call, one value per round.</param>
/// <param name="Cpu">Calling-thread CPU seconds per call, one value per round.</param>
public sealed record RoundTimes(double[] Wall, double[] Cpu)
{
    /// <summary>
    /// Per-round ratios of this action's time to <paramref name="reference"/>'s: on the thread CPU clock when
    /// <paramref name="oneThread"/> says both run on the calling thread alone (and the clock exists), else on the wall clock.
    /// </summary>
    public double[] RatiosTo(RoundTimes reference, bool oneThread)
    {
        ArgumentNullException.ThrowIfNull(reference);
        bool cpu = oneThread && ThreadClock.IsAvailable;
        var mine = cpu ? Cpu : Wall;
        var theirs = cpu ? reference.Cpu : reference.Wall;
        return mine.Select((t, r) => t / theirs[r]).ToArray();
    }
}

/// <summary>
/// Times implementations in rounds in the same process: each round times every implementation (in a shuffled order) for a
/// batch of calls sized to about <c>batch</c>. <see cref="Ratios"/> divides each round's times by the reference's in that
/// round, so drift of the machine within a round cancels; rounds give the spread the statistical test needs. The gate
/// uses it for ratios to alt-simplified and for the fast kernels' ratios to their bandwidth yardsticks; the benchmark suite
/// for the paired roofline (<see cref="Benchmarks.PairedRoofline"/>).
/// <para>
/// Every batch is read on two clocks (<see cref="RoundTimes"/>). One-thread actions are compared on the calling thread's CPU
/// time: on this shared 2-core machine (load averages of 10–30 while others build and test) the scheduler takes the core
/// away for milliseconds at a time, and wall-clock ratios of the same two kernels scattered by ±30% from round to round,
/// while a stalled load still counts as CPU time, so a memory-bound kernel is charged its memory time. Multi-core actions
/// can only be compared on the wall clock (their other threads' work and waiting are the point).
/// </para>
/// </summary>
public static class GateMeasurement
{
    /// <summary>
    /// Per-round ratios to <paramref name="referenceId"/> for every implementation in each placement of
    /// <paramref name="placements"/> (each the same implementations, including the reference, prepared anew with
    /// <see cref="PreparedBackward.For(IBatchNormBackward, BatchNormProblem, Random?)"/>'s random placement): round r times
    /// placement r mod their count. Memory placement is then one more thing the rounds sample, not a fixed property of the
    /// process: with one placement, every round of a column-walking kernel repeated the same L1 set conflicts, the rounds
    /// agreed with each other (p &lt; 0.0001) and disagreed with another process's by up to 63%.
    /// </summary>
    public static IReadOnlyDictionary<string, double[]> Ratios(
        IReadOnlyList<IReadOnlyList<PreparedBackward>> placements, string referenceId, int rounds, TimeSpan batch, int seed, Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(placements);
        if (placements.Count == 0) throw new ArgumentException("no placements", nameof(placements));
        var ids = placements[0].Select(p => p.Implementation.Info.Id).ToList();
        if (placements.Any(p => !p.Select(q => q.Implementation.Info.Id).SequenceEqual(ids)))
            throw new ArgumentException("every placement must prepare the same implementations in the same order", nameof(placements));
        if (!ids.Contains(referenceId)) throw new ArgumentException($"the reference {referenceId} is not timed", nameof(referenceId));
        var timed = ids.Select((id, i) => (id, (IReadOnlyList<Action>)placements.Select(p => p[i].Run).ToList())).ToList();
        var times = TimeVariants(timed, rounds, batch, seed, progress);
        var referenceTimes = times[referenceId];
        return times.ToDictionary(kv => kv.Key, kv => kv.Value.RatiosTo(referenceTimes, oneThread: true));
    }

    /// <summary>Per-round seconds per call of every named action in <paramref name="timed"/>, on both clocks.</summary>
    public static IReadOnlyDictionary<string, RoundTimes> Times(
        IReadOnlyList<(string Id, Action Run)> timed, int rounds, TimeSpan batch, int seed, Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(timed);
        return TimeVariants(timed.Select(t => (t.Id, (IReadOnlyList<Action>)[t.Run])).ToList(), rounds, batch, seed, progress);
    }

    /// <summary>
    /// Per-round seconds per call of every named action, on both clocks; round r runs each action's variant r mod its
    /// count (the same work, placed differently in memory).
    /// </summary>
    private static IReadOnlyDictionary<string, RoundTimes> TimeVariants(
        IReadOnlyList<(string Id, IReadOnlyList<Action> Runs)> timed, int rounds, TimeSpan batch, int seed, Action<string>? progress)
    {
        if (rounds < 2) throw new ArgumentOutOfRangeException(nameof(rounds), rounds, "need at least 2 rounds");

        // Warm up every action past the JIT's tiering, and size its batch (on its first variant: they do the same work).
        var calls = new int[timed.Count];
        for (int i = 0; i < timed.Count; i++)
        {
            progress?.Invoke($"warming up {timed[i].Id}");
            double perCall = PerCall(timed[i].Runs[0], TimeSpan.FromMilliseconds(150));
            calls[i] = Math.Max(1, (int)(batch.TotalSeconds / perCall));
        }

        var samples = timed.ToDictionary(t => t.Id, _ => new RoundTimes(new double[rounds], new double[rounds]));
        var random = new Random(seed);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        for (int r = 0; r < rounds; r++)
        {
            progress?.Invoke($"round {r + 1} of {rounds}");
            var order = Enumerable.Range(0, timed.Count).ToArray();
            random.Shuffle(order);
            foreach (int i in order)
            {
                var runs = timed[i].Runs;
                var (wall, cpu) = Time(runs[r % runs.Count], calls[i]);
                samples[timed[i].Id].Wall[r] = wall;
                samples[timed[i].Id].Cpu[r] = cpu;
            }
        }
        return samples;
    }

    /// <summary>
    /// Per-round ratios of each pair's action to its own reference, the two timed back to back (one batch each, about
    /// <paramref name="batch"/> and at least one call, in a random order within the pair; the pairs in a shuffled order each
    /// round). Adjacent timing cancels the machine's drift at every time scale longer than one batch: for the memory-bound
    /// kernels, whose per-call time is milliseconds, the round-to-round spread of the ratio fell from 11–19% (every action
    /// of a round timed in turn, then divided) to 6–10% here. One-thread pairs on the thread CPU clock, others on the wall clock.
    /// </summary>
    public static IReadOnlyDictionary<string, double[]> PairRatios(IReadOnlyList<TimedPair> pairs, int rounds, TimeSpan batch, int seed, Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        if (rounds < 2) throw new ArgumentOutOfRangeException(nameof(rounds), rounds, "need at least 2 rounds");
        var calls = new (int Run, int Reference)[pairs.Count];
        for (int i = 0; i < pairs.Count; i++)
        {
            progress?.Invoke($"warming up {pairs[i].Id} and {pairs[i].ReferenceId}");
            calls[i] = (Math.Max(1, (int)(batch.TotalSeconds / PerCall(pairs[i].Run, TimeSpan.FromMilliseconds(150), 3))),
                        Math.Max(1, (int)(batch.TotalSeconds / PerCall(pairs[i].Reference, TimeSpan.FromMilliseconds(150), 3))));
        }
        var ratios = pairs.ToDictionary(p => p.Id, _ => new double[rounds]);
        var random = new Random(seed);
        for (int r = 0; r < rounds; r++)
        {
            var order = Enumerable.Range(0, pairs.Count).ToArray();
            random.Shuffle(order);
            foreach (int i in order)
            {
                var pair = pairs[i];
                (double Wall, double Cpu) mine, theirs;
                if (random.Next(2) == 0)
                {
                    theirs = Time(pair.Reference, calls[i].Reference);
                    mine = Time(pair.Run, calls[i].Run);
                }
                else
                {
                    mine = Time(pair.Run, calls[i].Run);
                    theirs = Time(pair.Reference, calls[i].Reference);
                }
                ratios[pair.Id][r] = pair.OneThread && ThreadClock.IsAvailable ? mine.Cpu / theirs.Cpu : mine.Wall / theirs.Wall;
            }
        }
        return ratios;
    }

    /// <summary>
    /// Warms <paramref name="run"/> up for at least <paramref name="duration"/> and <paramref name="minCalls"/> calls (JIT,
    /// tiering, caches), then returns its seconds per call over a second, separately timed stretch of at least a third of
    /// <paramref name="duration"/>, from which the batch is sized. The first call of the first kernel of a type compiles
    /// that type's kernel bodies (tens of milliseconds on a loaded machine): counted in, it made the estimate hundreds of
    /// times too large, the batches a few dozen calls long, and the time per call of those short batches (each then started
    /// just after a full collection, with cold caches) 4–5× the true one, for the whole process (measured: fused-simd-f32 at 128×64, 0.46× instead of
    /// 0.12× the reference, in about a third of the processes).
    /// </summary>
    private static double PerCall(Action run, TimeSpan duration, int minCalls = 30)
    {
        RunFor(run, duration, minCalls);
        return RunFor(run, duration / 3, Math.Max(1, minCalls / 3));
    }

    /// <summary>Runs <paramref name="run"/> for at least <paramref name="duration"/> and <paramref name="minCalls"/> calls; returns the seconds per call.</summary>
    private static double RunFor(Action run, TimeSpan duration, int minCalls)
    {
        int count = 0;
        long start = Stopwatch.GetTimestamp();
        long until = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        long now;
        do
        {
            run();
            count++;
            now = Stopwatch.GetTimestamp();
        }
        while (now < until || count < minCalls);
        return (now - start) / (double)Stopwatch.Frequency / count;
    }

    /// <summary>
    /// Seconds per call over a batch of <paramref name="calls"/> calls, on the wall clock and the thread's CPU clock. No
    /// collection is forced between batches (one is, before the first round): a full blocking collection before every batch
    /// let the GC decommit the memory an allocating implementation had just used, so its next batch page-faulted fresh pages
    /// in (system time, on its own thread's clock). The staged seed, which allocates a dozen N×D temporaries per call, then
    /// measured between 14× and 61× the reference from one process to the next; without the forced collections, 12.5× to 15×.
    /// An implementation that allocates nothing never triggers a collection, so the garbage of one that does is not paid by it.
    /// </summary>
    private static (double Wall, double Cpu) Time(Action run, int calls)
    {
        double cpuStart = ThreadClock.Now();
        long start = Stopwatch.GetTimestamp();
        for (int k = 0; k < calls; k++) run();
        long end = Stopwatch.GetTimestamp();
        double cpuEnd = ThreadClock.Now();
        return ((end - start) / (double)Stopwatch.Frequency / calls, (cpuEnd - cpuStart) / calls);
    }
}
