namespace BnVerify.Checking;

/// <summary>
/// Runs a call on a background worker thread and waits for it at most a given time, so code BnVerify did not write can
/// hang without hanging BnVerify. Each calling thread keeps one worker and reuses it (a thread per call would cost more
/// than a small backward); a worker whose call did not return in time is abandoned — .NET cannot stop a thread — and the
/// next call gets a new one.
/// </summary>
public static class GuardedCall
{
    /// <summary>How a call ended: its result, what it threw, or that it did not return in time.</summary>
    /// <param name="Result">The value returned (default when it threw or hung).</param>
    /// <param name="Thrown">The exception it threw, or null.</param>
    /// <param name="Hung">True when it did not return within the time limit.</param>
    public sealed record Outcome<T>(T? Result, Exception? Thrown, bool Hung);

    [ThreadStatic] private static Worker? _worker;

    /// <summary>Runs <paramref name="call"/> on this thread's worker, waiting at most <paramref name="timeout"/>.</summary>
    public static Outcome<T> Run<T>(Func<T> call, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(call);
        var worker = _worker ??= new Worker();
        T? result = default;
        Exception? thrown = null;
        worker.Post(() =>
        {
            try
            {
                result = call();
            }
            catch (Exception e)
            {
                thrown = e;
            }
        });
        if (!worker.Done.Wait(timeout))
        {
            _worker = null; // abandoned: it may return some day, but nobody waits for it
            return new Outcome<T>(default, null, Hung: true);
        }
        return new Outcome<T>(result, thrown, Hung: false);
    }

    private sealed class Worker
    {
        private readonly SemaphoreSlim _start = new(0);
        private Action? _work;

        public Worker()
        {
            var thread = new Thread(Loop) { IsBackground = true, Name = "bnverify guarded call" };
            thread.Start();
        }

        public SemaphoreSlim Done { get; } = new(0);

        public void Post(Action work)
        {
            _work = work;
            _start.Release();
        }

        private void Loop()
        {
            while (true)
            {
                _start.Wait();
                _work!();
                _work = null;
                Done.Release();
            }
        }
    }
}
