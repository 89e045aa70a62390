using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;

namespace BnVerify.Bench.Cli;

/// <summary>Bad input found after parsing (a case file, an output path): reported as one line on stderr, exit code 2.</summary>
internal sealed class BadInputException(string message) : Exception(message);

/// <summary>What every command writes to: results on <see cref="Output"/>, errors on <see cref="Stderr"/>.</summary>
internal sealed record CliContext(TextWriter Stdout, TextWriter Stderr, ConsoleOutput Output);

/// <summary>
/// The <c>bnverify</c> command line. Exit codes: 0 every found verdict equals the declared one (or help was shown),
/// 1 some verdict differs, 2 bad input (one line on stderr, nothing written), 3 an internal error.
/// </summary>
public static class Cli
{
    /// <summary>Every found verdict equals the declared one.</summary>
    public const int ExitOk = 0;

    /// <summary>Some found verdict differs from the declared one.</summary>
    public const int ExitMismatch = 1;

    /// <summary>Bad input: a case file, a path or an option; one line on stderr.</summary>
    public const int ExitBadInput = 2;

    /// <summary>A bug in bnverify itself.</summary>
    public const int ExitInternalError = 3;

    /// <summary>The name the tool calls itself in help and error messages.</summary>
    public const string ToolName = "bnverify";

    /// <summary>
    /// Parses <paramref name="args"/> and runs the command; returns the exit code (never exits the process).
    /// Output is fitted to the terminal (colour, progress, its width) only when <paramref name="stdout"/> is the process's
    /// own interactive console; otherwise it is plain text of at most <see cref="OutputStyle.PlainWidth"/> columns.
    /// </summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr) =>
        Run(args, stdout, stderr, OutputStyle.Detect(stdout));

    /// <summary>As <see cref="Run(string[], TextWriter, TextWriter)"/>: a terminal as wide as the console (or 80 columns) when <paramref name="rich"/>, plain text otherwise.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, bool rich) =>
        Run(args, stdout, stderr, !rich ? OutputStyle.Plain
            : OutputStyle.Detect(Console.Out) is { Terminal: true } console ? console : OutputStyle.ForTerminal(80));

    /// <summary>As <see cref="Run(string[], TextWriter, TextWriter)"/>, with the output laid out as <paramref name="style"/> says.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, OutputStyle style)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        ArgumentNullException.ThrowIfNull(style);
        var context = new CliContext(stdout, stderr, ConsoleOutput.Create(stdout, style));
        var root = BuildRoot(context);
        var parsed = root.Parse(args);
        // System.CommandLine's own error action prints every error in colour followed by the whole help text and returns 1;
        // bnverify promises one line and exit code 2 instead. Help (-h) still wins over errors, as it does by default.
        if (parsed.Action is ParseErrorAction)
        {
            Error(stderr, ArgumentRules.Message(parsed, root, args));
            return ExitBadInput;
        }
        var configuration = new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false };
        try
        {
            return parsed.Invoke(configuration);
        }
        catch (BadInputException e)
        {
            Error(stderr, e.Message);
            return ExitBadInput;
        }
        catch (Exception e) when (External.ExternalProgramException.Find(e) is { } failure)
        {
            // An external program (--exec) failed as a program: it could not start, exited, broke the protocol or timed out.
            Error(stderr, failure.Message);
            return ExitBadInput;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Error(stderr, $"internal error: {e.GetType().Name}: {e.Message}");
            return ExitInternalError;
        }
    }

    /// <summary>
    /// The root command (benchmarks) with list, check and cases beneath it. It is a plain <see cref="Command"/> named
    /// "bnverify" with the help and version options added by hand rather than a <see cref="RootCommand"/>: in
    /// System.CommandLine 2.0.0 a RootCommand is always named after the running executable ("BnVerify.Bench", or
    /// "testhost" under the tests) and the name cannot be set.
    /// </summary>
    internal static Command BuildRoot(CliContext context)
    {
        var root = new Command(ToolName,
            "Verifies batch-normalization backward passes. With no command it runs the benchmarks; " +
            "list, check and cases verify the implementations; gate guards CI against slower or wrong ones.")
        {
            new HelpOption(),
            new VersionOption(),
        };
        BenchmarkEntry.Configure(root, context);
        root.Add(ListCommand.Create(context));
        root.Add(CheckCommand.Create(context));
        root.Add(CasesCommand.Create(context));
        root.Add(GateCommand.Create(context));
        ArgumentRules.Apply(root);
        return root;
    }

    /// <summary>Writes "bnverify: error: MESSAGE" as exactly one line.</summary>
    internal static void Error(TextWriter stderr, string message)
    {
        string oneLine = string.Join(" ", message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        stderr.WriteLine($"{ToolName}: error: {oneLine}");
    }
}

/// <summary>Options shared by several commands, each with a validator so a bad value is a parse error (exit 2).</summary>
internal static class CliOptions
{
    /// <summary>An integer option with a default, refusing values outside [<paramref name="min"/>, <paramref name="max"/>] in the user's words.</summary>
    public static Option<int> IntInRange(string name, string description, int defaultValue, int min, int max) => new(name)
    {
        Description = $"{description} ({min}..{max})",
        DefaultValueFactory = _ => defaultValue,
        HelpName = "N",
        CustomParser = result => (int)(ParseInteger(result, name, min, max) ?? defaultValue),
    };

    /// <summary>An integer option without a default (null when not given), refusing values outside [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static Option<int?> OptionalIntInRange(string name, string description, int min, int max, string helpName = "N") => new(name)
    {
        Description = $"{description} ({min}..{max})",
        HelpName = helpName,
        CustomParser = result => (int?)ParseInteger(result, name, min, max),
    };

    /// <summary>
    /// The option's value as a whole number in [<paramref name="min"/>, <paramref name="max"/>], or null after adding an
    /// error that names the option and the range ("--cases: 'many' is not a whole number; must be 1..100000").
    /// </summary>
    public static long? ParseInteger(ArgumentResult result, string name, long min, long max)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        if (!long.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out long value))
        {
            bool digits = text.TrimStart('-', '+') is { Length: > 0 } d && d.All(char.IsAsciiDigit);
            result.AddError(digits ? $"{name}: {text} is out of range; must be {min}..{max}" : $"{name}: '{text}' is not a whole number; must be {min}..{max}");
            return null;
        }
        if (value < min || value > max)
        {
            result.AddError($"{name}: {value} is out of range; must be {min}..{max}");
            return null;
        }
        return value;
    }

    /// <summary>A number option with a default, refusing values outside [<paramref name="min"/>, <paramref name="max"/>] in the user's words.</summary>
    public static Option<double> NumberInRange(string name, string description, double defaultValue, double min, double max, string helpName) => new(name)
    {
        Description = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{description} ({min}..{max})"),
        DefaultValueFactory = _ => defaultValue,
        HelpName = helpName,
        CustomParser = result =>
        {
            if (ParseNumber(result, name) is not { } value) return defaultValue;
            if (value >= min && value <= max) return value;
            result.AddError(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{name}: {value} is out of range; must be {min}..{max}"));
            return defaultValue;
        },
    };

    /// <summary>The option's value as a finite number, or null after adding an error that names the option ("--tolerance: 'abc' is not a number").</summary>
    public static double? ParseNumber(ArgumentResult result, string name)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        if (double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double value) && double.IsFinite(value))
            return value;
        result.AddError($"{name}: '{text}' is not a number");
        return null;
    }

    /// <summary>Adds a parse error when the option's value is outside [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static void RequireRange(OptionResult result, string name, long min, long max)
    {
        if (result.Tokens.Count == 0) return;
        long value;
        try
        {
            value = Convert.ToInt64(result.GetValueOrDefault<object>(), System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or InvalidCastException)
        {
            return; // the type conversion error is reported by the parser itself
        }
        if (value < min || value > max)
            result.AddError($"{name}: {value} is out of range; must be {min}..{max}");
    }

    /// <summary><c>--impl ID</c>, repeatable (or comma-separated); the ids are resolved by <see cref="Selected(Registry, string[], bool)"/>, once <c>--assembly</c> is known.</summary>
    public static Option<string[]> Impl(string description) => new("--impl")
    {
        Description = description,
        HelpName = "ID",
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = true,
    };

    /// <summary>
    /// The implementations named by <c>--impl</c> (in registry order), or all of <paramref name="registry"/> when none is
    /// named; an unknown id is bad input that lists the known ones.
    /// </summary>
    public static IReadOnlyList<IBatchNormBackward> Selected(Registry registry, string[]? ids) => Selected(registry, ids, spatial: true);

    /// <summary>
    /// As <see cref="Selected(Registry, string[])"/>, but when no id is named and the problems are 2-D only
    /// (<paramref name="spatial"/> false), only the implementations that compute on rows × channels: a 2-D problem runs an
    /// NCHW implementation with H = W = 1, where NCHW is the same memory, so it cannot show how that implementation handles
    /// its layout (a spatial flaw would be reported as a mismatch). Named ids always run.
    /// </summary>
    public static IReadOnlyList<IBatchNormBackward> Selected(Registry registry, string[]? ids, bool spatial)
    {
        if (ids is { Length: > 0 } && !SplitIds(ids).Any())
            throw new BadInputException("--impl: no implementation id given (an empty value); name one, or leave --impl out to check all");
        var wanted = SplitIds(ids ?? []).ToHashSet(StringComparer.Ordinal);
        foreach (var id in wanted)
            if (!registry.Exists(id))
                throw new BadInputException($"--impl: unknown implementation id '{id}'{DidYouMean(id, registry.All.Select(i => i.Info.Id))}; known ids: {string.Join(", ", registry.All.Select(i => i.Info.Id))}");
        if (wanted.Count > 0) return registry.All.Where(i => wanted.Contains(i.Info.Id)).ToList();
        return spatial ? registry.All : registry.All.Where(i => i.Layout != Layout.NCHW).ToList();
    }

    /// <summary>"; did you mean 'X'?" for the known name nearest to <paramref name="given"/> (edit distance at most a third of its length), else "".</summary>
    internal static string DidYouMean(string given, IEnumerable<string> known)
    {
        var best = known.Select(k => (Name: k, Distance: EditDistance(given, k))).OrderBy(t => t.Distance).ThenBy(t => t.Name, StringComparer.Ordinal).FirstOrDefault();
        return best.Name is not null && best.Distance <= Math.Max(1, given.Length / 3) ? $"; did you mean '{best.Name}'?" : "";
    }

    private static int EditDistance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (int i = 1; i <= a.Length; i++)
        {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }
        return row[b.Length];
    }

    internal static IEnumerable<string> SplitIds(IEnumerable<string> values) =>
        values.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
