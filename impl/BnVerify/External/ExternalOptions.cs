namespace BnVerify.External;

/// <summary>
/// How an external program is run: how long one request may take, how long the program may take to greet, how long it
/// is given to exit after "bye", and the longest line it may write. Every limit ends in the program being stopped and an
/// <see cref="ExternalProgramException"/>, never in a hang.
/// </summary>
/// <param name="RequestTimeout">
/// Longest time from sending one request of up to <see cref="ValuesPerTimeout"/> values of x to receiving its whole answer;
/// a larger request gets proportionally longer (<see cref="TimeoutFor"/>): its text takes that much longer to write, parse
/// and compute.
/// </param>
/// <param name="StartupTimeout">Longest time from starting the program to receiving its greeting (imports can be slow).</param>
public sealed record ExternalOptions(TimeSpan RequestTimeout, TimeSpan StartupTimeout)
{
    /// <summary>10 s per request, 30 s to greet.</summary>
    public static ExternalOptions Default { get; } = new(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30));

    /// <summary>After "bye" and the end of its input, how long the program has to exit before it is killed (default 2 s).</summary>
    public TimeSpan ShutdownGrace { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The longest line (in bytes) the program may write on its standard output (default 256 MiB).</summary>
    public int MaxLineBytes { get; init; } = 256 << 20;

    /// <summary>The program's working directory; null: the current directory.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>
    /// The request size <see cref="RequestTimeout"/> is for: 2^18 values of x (a 512×512 batch). The Python adapter took
    /// 8 s for a 2048×1024 request (2^21 values as JSON text both ways) on an idle 2-core machine and over 20 s while tests
    /// ran beside it.
    /// </summary>
    public const long ValuesPerTimeout = 1L << 18;

    /// <summary>
    /// The time limit of a request for <paramref name="problem"/>: <see cref="RequestTimeout"/> × max(1, N·D / 2^18), so a
    /// 2048×1024 problem (the largest scheduled shape) gets 8 times the limit of a small one.
    /// </summary>
    public TimeSpan TimeoutFor(BatchNormProblem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        return RequestTimeout * Math.Max(1.0, (double)problem.N * problem.D / ValuesPerTimeout);
    }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        if (RequestTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(RequestTimeout), RequestTimeout, "must be positive");
        if (StartupTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(StartupTimeout), StartupTimeout, "must be positive");
        if (ShutdownGrace < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(ShutdownGrace), ShutdownGrace, "must not be negative");
        if (MaxLineBytes < 1024) throw new ArgumentOutOfRangeException(nameof(MaxLineBytes), MaxLineBytes, "must be at least 1024");
    }
}
