using System.Diagnostics;

namespace BnVerify.Bench.Gate;

/// <summary>
/// Times implementations in rounds in the same process: each round times every implementation (in a shuffled order) for a
/// batch of calls sized to about <c>batch</c>. <see cref="Ratios"/> divides each round's times by the reference's in that
/// round, so drift of the machine within a round cancels; rounds give the spread the statistical test needs. The gate
/// uses it for ratios to alt-simplified; the benchmark suite for the paired roofline (kernels against the bandwidth
/// yardsticks, <see cref="Benchmarks.PairedRoofline"/>).
/// </summary>
public static class GateMeasurement
{
    /// <summary>Per-round ratios to <paramref name="reference"/> for every implementation in <paramref name="timed"/> (which must include the reference).</summary>
    public static IReadOnlyDictionary<string, double[]> Ratios(
        IReadOnlyList<PreparedBackward> timed, PreparedBackward reference, int rounds, TimeSpan batch, int seed, Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(timed);
        ArgumentNullException.ThrowIfNull(reference);
        var times = Times(timed.Select(p => (p.Implementation.Info.Id, (Action)p.Run)).ToList(), rounds, batch, seed, progress);
        var referenceTimes = times[reference.Implementation.Info.Id];
        return times.ToDictionary(kv => kv.Key, kv => kv.Value.Select((t, r) => t / referenceTimes[r]).ToArray());
    }

    /// <summary>Per-round seconds per call of every named action in <paramref name="timed"/>.</summary>
    public static IReadOnlyDictionary<string, double[]> Times(
        IReadOnlyList<(string Id, Action Run)> timed, int rounds, TimeSpan batch, int seed, Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(timed);
        if (rounds < 2) throw new ArgumentOutOfRangeException(nameof(rounds), rounds, "need at least 2 rounds");

        // Warm up every action past the JIT's tiering, and size its batch.
        var calls = new int[timed.Count];
        for (int i = 0; i < timed.Count; i++)
        {
            progress?.Invoke($"warming up {timed[i].Id}");
            double perCall = PerCall(timed[i].Run, TimeSpan.FromMilliseconds(150));
            calls[i] = Math.Max(1, (int)(batch.TotalSeconds / perCall));
        }

        var samples = timed.ToDictionary(t => t.Id, _ => new double[rounds]);
        var random = new Random(seed);
        for (int r = 0; r < rounds; r++)
        {
            progress?.Invoke($"round {r + 1} of {rounds}");
            var order = Enumerable.Range(0, timed.Count).ToArray();
            random.Shuffle(order);
            foreach (int i in order) samples[timed[i].Id][r] = Time(timed[i].Run, calls[i]);
        }
        return samples;
    }

    /// <summary>Seconds per call, running <paramref name="run"/> repeatedly for at least <paramref name="duration"/>.</summary>
    private static double PerCall(Action run, TimeSpan duration)
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
        while (now < until || count < 30);
        return (now - start) / (double)Stopwatch.Frequency / count;
    }

    /// <summary>
    /// Seconds per call over a batch of <paramref name="calls"/> calls. Each batch starts from a collected heap, so the
    /// garbage one allocating implementation leaves behind (the staged seed allocates a dozen N×D temporaries per call)
    /// is not paid for by whichever implementation runs next.
    /// </summary>
    private static double Time(Action run, int calls)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        long start = Stopwatch.GetTimestamp();
        for (int k = 0; k < calls; k++) run();
        return (Stopwatch.GetTimestamp() - start) / (double)Stopwatch.Frequency / calls;
    }
}
