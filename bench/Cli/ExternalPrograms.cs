using System.CommandLine;
using System.Globalization;
using BnVerify.External;

namespace BnVerify.Bench.Cli;

/// <summary>
/// <c>--exec "COMMAND"</c> and <c>--exec-timeout S</c> of <c>check</c> and <c>cases</c>: external programs
/// (PROTOCOL.md) checked by exactly the same checker as the built-in implementations, each under the name it gave.
/// With <c>--exec</c> and no <c>--impl</c> only the external programs are checked. An external program declares no
/// verdict: its declared column reads "unknown", its match column "-", and found flawed gives exit code 1.
/// A program that fails as a program (<see cref="ExternalProgramException"/>) gives exit code 2 (see <see cref="Cli"/>).
/// </summary>
internal sealed class ExternalPrograms : IDisposable
{
    private readonly List<ExternalBackward> _programs;

    private ExternalPrograms(List<ExternalBackward> programs) => _programs = programs;

    /// <summary>The running programs, in the order given.</summary>
    public IReadOnlyList<ExternalBackward> Programs => _programs;

    /// <summary>The <c>--exec</c> option: repeatable, one command per use.</summary>
    public static Option<string[]> ExecOption() => new("--exec")
    {
        Description = "Also check an external program that speaks the bnverify-external/1 protocol (PROTOCOL.md), e.g. " +
                      "\"python3 adapters/python/bnverify_adapter.py my_layers.py --forward f --backward b\"; repeatable. " +
                      "Without --impl only the external programs are checked",
        HelpName = "COMMAND",
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    /// <summary>The <c>--exec-timeout</c> option: seconds per request.</summary>
    public static Option<double> TimeoutOption() => CliOptions.NumberInRange("--exec-timeout",
        "Longest time an external program may take to answer one request, in seconds; it gets at least 30 s to start",
        ExternalOptions.Default.RequestTimeout.TotalSeconds, 0.1, 3600, "S");

    /// <summary>
    /// Starts every command and reads its greeting; a bad command is a
    /// <see cref="BadInputException"/>, a program that fails to start or greet an <see cref="ExternalProgramException"/>
    /// (nothing is left running either way).
    /// </summary>
    public static ExternalPrograms Start(string[]? commands, double timeoutSeconds, Registry registry)
    {
        var started = new List<ExternalBackward>();
        var result = new ExternalPrograms(started);
        try
        {
            var timeout = TimeSpan.FromSeconds(timeoutSeconds);
            var options = new ExternalOptions(timeout, timeout > TimeSpan.FromSeconds(30) ? timeout : TimeSpan.FromSeconds(30));
            foreach (var command in commands ?? [])
            {
                IReadOnlyList<string> words;
                try
                {
                    words = ExternalCommand.Split(command);
                }
                catch (ArgumentException e)
                {
                    throw new BadInputException($"--exec: {e.Message.Split(" (Parameter", 2)[0]}");
                }
                var program = ExternalBackward.Start(words, options);
                started.Add(program);
                string id = program.Info.Id;
                if (registry.Exists(id))
                    throw new BadInputException($"--exec {command}: the program calls itself '{id}', the id of " +
                        (BuiltIn.Implementations.Exists(id) ? "a built-in implementation" : "an implementation from --assembly") + "; give it another name");
                if (started.Count(p => p.Info.Id == id) > 1)
                    throw new BadInputException($"--exec {command}: the program calls itself '{id}', as does an earlier --exec; give it another name");
            }
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Throws the first failure of any external program among <paramref name="impls"/>, so a program that failed as a
    /// program gives exit 2 even if a failure was recorded without reaching the checker (belt and braces: the checker
    /// throws <see cref="NotAVerdictException"/>s on). Call it after the checks and before any report or results file.
    /// </summary>
    public static void ThrowIfFailed(IEnumerable<IBatchNormBackward> impls)
    {
        if (impls.OfType<ExternalBackward>().Select(p => p.Failure).FirstOrDefault(f => f is not null) is { } failure)
            throw new ExternalProgramException(failure.Message, failure);
    }

    /// <summary>The implementations to check: with external programs and no <c>--impl</c>, only the programs; otherwise the selected built-ins then the programs.</summary>
    public IReadOnlyList<IBatchNormBackward> With(Registry registry, string[]? implIds, bool spatial = true) =>
        _programs.Count > 0 && !CliOptions.SplitIds(implIds ?? []).Any()
            ? [.. _programs]
            : [.. CliOptions.Selected(registry, implIds, spatial), .. _programs];

    /// <summary>One line per external program among <paramref name="impls"/>: its name, element type and what it is.</summary>
    public static void Describe(ConsoleOutput output, IEnumerable<IBatchNormBackward> impls)
    {
        foreach (var p in impls.OfType<ExternalBackward>())
            output.Paragraph($"external: {p.Info.Id} ({p.Greeting.Dtype}): {p.Greeting.Source ?? p.Command}");
    }

    /// <summary>One line per external program among <paramref name="impls"/>: how many requests it answered and the mean round trip.</summary>
    public static void ReportTiming(ConsoleOutput output, IEnumerable<IBatchNormBackward> impls)
    {
        foreach (var p in impls.OfType<ExternalBackward>().Where(p => p.Requests > 0))
            output.Paragraph(string.Create(CultureInfo.InvariantCulture,
                $"{p.Info.Id}: {p.Requests} request{(p.Requests == 1 ? "" : "s")}, {p.RequestTime.TotalMilliseconds / p.Requests:0.###} ms per request on average (round trip)"));
    }

    /// <summary>The declared-verdict cell: "unknown" for an external program.</summary>
    public static string DeclaredText(IBatchNormBackward impl) => impl is ExternalBackward ? ExternalBackward.DeclaredText : impl.Info.DeclaredText;

    /// <summary>The match cell: "-" for an external program (it declared nothing), else "ok" or "MISMATCH".</summary>
    public static string MatchText(IBatchNormBackward impl, Verdict found) =>
        impl is ExternalBackward ? "-" : found == impl.Info.Declared ? "ok" : "MISMATCH";

    /// <summary>Why <paramref name="impl"/> makes the run fail, in words: "ID found flawed" for a program, "ID declared X, found Y" for a built-in.</summary>
    public static string FailureText(IBatchNormBackward impl, Verdict found) => impl is ExternalBackward
        ? $"{impl.Info.Id} (external program) found {CheckCommand.VerdictText(found)}"
        : $"{impl.Info.Id} declared {impl.Info.DeclaredText}, found {CheckCommand.VerdictText(found)}";

    /// <summary>
    /// The last line's verdict: "ok: every found verdict equals the declared one" (and which external programs were found
    /// correct), or "MISMATCH: ..." when a built-in's found verdict differs from its declared one, or "FLAWED: ..." when
    /// only external programs were found flawed.
    /// </summary>
    public static string Conclusion(IReadOnlyList<(IBatchNormBackward Impl, Verdict Found)> results)
    {
        var failing = results.Where(r => r.Found != r.Impl.Info.Declared).ToList();
        var external = results.Where(r => r.Impl is ExternalBackward).Select(r => r.Impl.Info.Id).ToList();
        if (failing.Count == 0)
        {
            string correct = $"{string.Join(", ", external)} found correct";
            return external.Count == 0 ? "ok: every found verdict equals the declared one"
                : external.Count == results.Count ? $"ok: {correct}"
                : $"ok: every found verdict equals the declared one; {correct}";
        }
        string prefix = failing.Any(r => r.Impl is not ExternalBackward) ? "MISMATCH" : "FLAWED";
        return $"{prefix}: {string.Join(", ", failing.Select(r => FailureText(r.Impl, r.Found)))}";
    }

    /// <summary>Ends every program.</summary>
    public void Dispose()
    {
        foreach (var p in _programs) p.Dispose();
    }
}
