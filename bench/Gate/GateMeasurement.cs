using System.Diagnostics;

namespace BnVerify.Bench.Gate;

/// <summary>
/// Times implementations as ratios to a reference in the same process: each round times every implementation
/// (in a shuffled order) for a batch of calls sized to about <c>batch</c>, and records its per-call time divided by
/// the reference's in that round. Drift of the machine within a round cancels in the ratio; rounds give the spread the
/// statistical test needs.
/// </summary>
public static class GateMeasurement
{
    /// <summary>Per-round ratios to <paramref name="reference"/> for every implementation in <paramref name="timed"/> (which must include the reference).</summary>
    public static IReadOnlyDictionary<string, double[]> Ratios(
        IReadOnlyList<PreparedBackward> timed, PreparedBackward reference, int rounds, TimeSpan batch, int seed, Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(timed);
        ArgumentNullException.ThrowIfNull(reference);
        if (rounds < 2) throw new ArgumentOutOfRangeException(nameof(rounds), rounds, "need at least 2 rounds");

        // Warm up every implementation past the JIT's tiering, and size its batch.
        var calls = new Dictionary<PreparedBackward, int>();
        foreach (var p in timed)
        {
            progress?.Invoke($"warming up {p.Implementation.Info.Id}");
            double perCall = PerCall(p, TimeSpan.FromMilliseconds(150), out _);
            calls[p] = Math.Max(1, (int)(batch.TotalSeconds / perCall));
        }

        var samples = timed.ToDictionary(p => p.Implementation.Info.Id, _ => new double[rounds]);
        var random = new Random(seed);
        for (int r = 0; r < rounds; r++)
        {
            progress?.Invoke($"round {r + 1} of {rounds}");
            var order = timed.ToArray();
            random.Shuffle(order);
            var times = new Dictionary<PreparedBackward, double>();
            foreach (var p in order) times[p] = Time(p, calls[p]);
            foreach (var p in timed) samples[p.Implementation.Info.Id][r] = times[p] / times[reference];
        }
        return samples;
    }

    /// <summary>Seconds per call, running <paramref name="p"/> repeatedly for at least <paramref name="duration"/>.</summary>
    private static double PerCall(PreparedBackward p, TimeSpan duration, out int count)
    {
        count = 0;
        long start = Stopwatch.GetTimestamp();
        long until = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        long now;
        do
        {
            p.Run();
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
    private static double Time(PreparedBackward p, int calls)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        long start = Stopwatch.GetTimestamp();
        for (int k = 0; k < calls; k++) p.Run();
        return (Stopwatch.GetTimestamp() - start) / (double)Stopwatch.Frequency / calls;
    }
}
