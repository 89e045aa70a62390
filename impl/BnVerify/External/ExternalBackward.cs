using System.Numerics;

namespace BnVerify.External;

/// <summary>
/// A backward pass computed by another program, in any language, spoken to over the <c>bnverify-external/1</c> line
/// protocol (PROTOCOL.md): started once by <see cref="Start(string, ExternalOptions?)"/>, then one request per
/// <see cref="Run"/>. To the checker, the shrinker and the derivation doctor it is one more
/// <see cref="IBatchNormBackward"/>; its id is the name the program gave, its element type the one it declared.
/// <para>
/// An external program declares no verdict. <see cref="Info"/> says <see cref="Verdict.Correct"/> in the sense "expected
/// to be correct": found flawed is then the outcome the command line reports with exit code 1. Reports show its declared
/// verdict as "unknown" (<see cref="DeclaredText"/>).
/// </para>
/// <para>
/// Failures of the program itself (it cannot start, exits, hangs past the time limit, breaks the protocol, reports an
/// error) throw <see cref="ExternalProgramException"/>; gradients that are wrong, NaN or infinite are returned as they
/// are and judged by the checker. Dispose ends the program (and everything it started); so do Ctrl-C and the end of
/// this process.
/// </para>
/// </summary>
public abstract class ExternalBackward : IBatchNormBackward, IDisposable
{
    /// <summary>What reports show as an external program's declared verdict.</summary>
    public const string DeclaredText = "unknown";

    private protected ExternalBackward(ExternalProcess process)
    {
        Process = process;
        Greeting = process.Greeting;
        Info = BackwardInfo.Correct(Greeting.Name, $"external program ({Greeting.Dtype}): {Greeting.Source ?? process.Command}", Family.Reference);
    }

    private protected ExternalProcess Process { get; }

    /// <summary>Starts <paramref name="command"/> (split into words by <see cref="ExternalCommand.Split"/>; no shell) and reads its greeting.</summary>
    public static ExternalBackward Start(string command, ExternalOptions? options = null) => Start(ExternalCommand.Split(command), options);

    /// <summary>
    /// Starts the program <paramref name="arguments"/>[0] with the other words as its arguments and reads its greeting;
    /// returns an <see cref="ExternalBackward{T}"/> of the element type it declared. Throws
    /// <see cref="ExternalProgramException"/> (nothing left running) when it cannot start or does not greet properly.
    /// </summary>
    public static ExternalBackward Start(IReadOnlyList<string> arguments, ExternalOptions? options = null)
    {
        var process = ExternalProcess.Start(arguments, options ?? ExternalOptions.Default);
        return process.Greeting.ElementType == typeof(float) ? new ExternalBackward<float>(process) : new ExternalBackward<double>(process);
    }

    /// <summary>The program's greeting: protocol, name, element type, layouts, source.</summary>
    public ExternalGreeting Greeting { get; }

    /// <summary>The command as started.</summary>
    public string Command => Process.Command;

    /// <summary>
    /// The program's first failure as a program, or null while it behaves. A caller that runs the implementation behind
    /// a guard that turns exceptions into verdicts checks this afterwards: such a failure is never a verdict.
    /// </summary>
    public ExternalProgramException? Failure => Process.Failure;

    /// <summary>Requests answered so far.</summary>
    public long Requests => Process.Requests;

    /// <summary>Total round-trip time of the answered requests (writing, the program's work, reading and parsing).</summary>
    public TimeSpan RequestTime => Process.RequestTime;

    /// <inheritdoc />
    public BackwardInfo Info { get; }

    /// <inheritdoc />
    public abstract Type ElementType { get; }

    /// <inheritdoc />
    public abstract double UnitRoundoff { get; }

    /// <inheritdoc />
    public abstract BatchNormProblem InItsPrecision(BatchNormProblem problem);

    /// <summary>Sends the problem, rounded to the program's element type, as one request; returns its gradients widened to float64.</summary>
    public Gradients Run(BatchNormProblem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        return Process.Request(InItsPrecision(problem));
    }

    /// <summary>Ends the program: "bye", end of its input, a grace period, then the whole process tree is killed.</summary>
    public void Dispose()
    {
        Process.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <inheritdoc />
    public override string ToString() => Info.Id;
}

/// <summary>
/// An external program that computes in <typeparamref name="T"/>. It also implements the span interface
/// <see cref="IBatchNormBackward{T}"/> (for <see cref="PreparedBackward"/> and the benchmarks): the request is rebuilt
/// from the cache's x, gamma, beta and eps and the given dout — exactly the values <see cref="ExternalBackward.Run"/>
/// sends for the same problem — and the answer is rounded to <typeparamref name="T"/>.
/// </summary>
/// <typeparam name="T">double (dtype float64) or float (dtype float32).</typeparam>
public sealed class ExternalBackward<T> : ExternalBackward, IBatchNormBackward<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    internal ExternalBackward(ExternalProcess process) : base(process)
    {
    }

    /// <inheritdoc />
    public override Type ElementType => typeof(T);

    /// <inheritdoc />
    public override double UnitRoundoff { get; } = double.CreateTruncating(T.BitIncrement(T.One) - T.One) / 2;

    /// <inheritdoc />
    public override BatchNormProblem InItsPrecision(BatchNormProblem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        if (typeof(T) == typeof(double)) return problem;
        return new BatchNormProblem(problem.N, problem.D, RoundTrip(problem.X), RoundTrip(problem.Gamma), RoundTrip(problem.Beta), problem.Eps, RoundTrip(problem.Dout));
    }

    /// <inheritdoc />
    public void Backward(BatchNormCache<T> cache, ReadOnlySpan<T> dout, Span<T> dx, Span<T> dgamma, Span<T> dbeta)
    {
        ArgumentNullException.ThrowIfNull(cache);
        cache.CheckGradientSpans(dout, dx, dgamma, dbeta);
        var problem = new BatchNormProblem(cache.N, cache.D, BatchNorm.Widen(cache.X), BatchNorm.Widen(cache.Gamma), BatchNorm.Widen(cache.Beta),
            cache.Eps, BatchNorm.Widen(dout));
        var g = Process.Request(problem);
        for (int k = 0; k < dx.Length; k++) dx[k] = T.CreateTruncating(g.Dx[k]);
        for (int j = 0; j < cache.D; j++)
        {
            dgamma[j] = T.CreateTruncating(g.Dgamma[j]);
            dbeta[j] = T.CreateTruncating(g.Dbeta[j]);
        }
    }

    private static double[] RoundTrip(double[] values) => BatchNorm.Widen<T>(BatchNorm.Round<T>(values));
}
