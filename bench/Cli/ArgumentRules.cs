using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;

namespace BnVerify.Bench.Cli;

/// <summary>
/// The one argument rule of every command, applied to the whole command tree in one place: a bad value is one line that
/// names the option, in the user's words, never in .NET's ("'abc' is not a number", not "expected type
/// 'System.Double'"). <see cref="Apply"/> gives every numeric option without a parser of its own one that says so,
/// and makes every validator safe on a value that did not parse; <see cref="Message"/> puts the parser's remaining
/// messages (unknown options, missing values, values not among the allowed ones) in the same words.
/// </summary>
internal static partial class ArgumentRules
{
    /// <summary>Applies the rule to every option of <paramref name="root"/> and of its commands, however deep.</summary>
    public static void Apply(Command root)
    {
        foreach (var command in Commands(root))
        {
            foreach (var option in command.Options)
            {
                InstallParser(option);
                // A validator that reads the value of an option whose value did not parse would throw (System.CommandLine
                // throws on reading such a value); the parse error is already recorded, so it is the one reported.
                var validators = option.Validators.ToList();
                option.Validators.Clear();
                foreach (var validate in validators)
                {
                    option.Validators.Add(result =>
                    {
                        try
                        {
                            validate(result);
                        }
                        catch (InvalidOperationException) when (result.Tokens.Count > 0)
                        {
                            // The value did not parse: reported by its parser.
                        }
                    });
                }
            }
        }
    }

    /// <summary>The one-line message for the first parse error of <paramref name="parsed"/>, in the user's words.</summary>
    public static string Message(ParseResult parsed, Command root, string[] args)
    {
        // A first word that is no command and no option is most likely a misspelt command.
        if (args.Length > 0 && !args[0].StartsWith('-') && root.Subcommands.All(c => c.Name != args[0]))
            return $"'{args[0]}' is not a command{CliOptions.DidYouMean(args[0], root.Subcommands.Select(c => c.Name))} " +
                   $"(commands: {string.Join(", ", root.Subcommands.Select(c => c.Name))}; none runs the benchmarks)";
        if (parsed.Errors.Count == 0) return "cannot parse the command line";
        var error = parsed.Errors[0];
        var command = parsed.CommandResult.Command;
        string where = command == root ? Cli.ToolName : $"{Cli.ToolName} {command.Name}";
        string? option = error.SymbolResult switch
        {
            OptionResult o => o.Option.Name,
            ArgumentResult { Parent: OptionResult o } => o.Option.Name,
            _ => null,
        };
        string message = error.Message.Trim();

        if (CannotParse().Match(message) is { Success: true } cannot)
            return $"{cannot.Groups["option"].Value}: '{cannot.Groups["value"].Value}' is not {Kind(cannot.Groups["type"].Value)}";
        if (NotAmong().Match(message) is { Success: true } among)
        {
            string value = among.Groups["value"].Value;
            var allowed = Quoted().Matches(among.Groups["allowed"].Value).Select(m => m.Groups[1].Value).ToList();
            return $"{option ?? where}: '{value}' is not one of {string.Join(", ", allowed)}{CliOptions.DidYouMean(value, allowed)}";
        }
        if (Missing().Match(message) is { Success: true } missing)
        {
            string name = missing.Groups["option"].Value;
            string? help = command.Options.FirstOrDefault(o => o.Name == name)?.HelpName;
            return $"{name}: the value is missing ({name} {help ?? "VALUE"})";
        }
        if (Unrecognized().Match(message) is { Success: true } unrecognized)
        {
            string token = unrecognized.Groups["token"].Value;
            if (token.StartsWith('-')) return UnknownOption(command, where, token);
            return $"'{token}': {where} takes no such argument (see {where} --help)";
        }
        if (TooMany().Match(message) is { Success: true } tooMany)
            return $"{tooMany.Groups["option"].Value}: given {tooMany.Groups["count"].Value} times; give it once";

        // Any other message is System.CommandLine's or ours; a .NET type name never reaches the user.
        message = TypeName().Replace(message, "a value of the right kind");
        return option is not null && !message.StartsWith(option, StringComparison.Ordinal) ? $"{option}: {message}" : message;
    }

    /// <summary>"--sed: bnverify check has no such option; did you mean '--seed'? (see bnverify check --help)".</summary>
    public static string UnknownOption(Command command, string where, string token)
    {
        var names = command.Options.Where(o => !o.Hidden).SelectMany(o => o.Aliases.Prepend(o.Name));
        return $"{token}: {where} has no such option{CliOptions.DidYouMean(token, names)} (see {where} --help)";
    }

    private static string Kind(string type) => type switch
    {
        _ when type.Contains("Int", StringComparison.Ordinal) => "a whole number",
        _ when type.Contains("Double", StringComparison.Ordinal) || type.Contains("Single", StringComparison.Ordinal) || type.Contains("Decimal", StringComparison.Ordinal) => "a number",
        _ when type.Contains("Boolean", StringComparison.Ordinal) => "true or false",
        _ => "a valid value",
    };

    private static void InstallParser(Option option)
    {
        switch (option)
        {
            case Option<int> o when o.CustomParser is null:
                o.CustomParser = r => (int)(CliOptions.ParseInteger(r, o.Name, int.MinValue, int.MaxValue) ?? 0);
                break;
            case Option<int?> o when o.CustomParser is null:
                o.CustomParser = r => (int?)CliOptions.ParseInteger(r, o.Name, int.MinValue, int.MaxValue);
                break;
            case Option<long> o when o.CustomParser is null:
                o.CustomParser = r => CliOptions.ParseInteger(r, o.Name, long.MinValue, long.MaxValue) ?? 0;
                break;
            case Option<double> o when o.CustomParser is null:
                o.CustomParser = r => CliOptions.ParseNumber(r, o.Name) ?? 0;
                break;
            case Option<double?> o when o.CustomParser is null:
                o.CustomParser = r => CliOptions.ParseNumber(r, o.Name);
                break;
        }
    }

    private static IEnumerable<Command> Commands(Command command) => command.Subcommands.SelectMany(Commands).Prepend(command);

    [GeneratedRegex(@"^Cannot parse argument '(?<value>.*)' for (option|command) '(?<option>.*)' as expected type '(?<type>.*)'\.?$", RegexOptions.Singleline)]
    private static partial Regex CannotParse();

    [GeneratedRegex(@"^Argument '(?<value>.*)' not recognized\. Must be one of:(?<allowed>.*)$", RegexOptions.Singleline)]
    private static partial Regex NotAmong();

    [GeneratedRegex(@"'([^']*)'")]
    private static partial Regex Quoted();

    [GeneratedRegex(@"^Required argument missing for option: '(?<option>.*)'\.?$")]
    private static partial Regex Missing();

    [GeneratedRegex(@"^Unrecognized command or argument '(?<token>.*)'\.?$")]
    private static partial Regex Unrecognized();

    [GeneratedRegex(@"^Option '(?<option>.*)' expects a single argument but (?<count>\d+) were provided\.?$")]
    private static partial Regex TooMany();

    [GeneratedRegex(@"(as )?(expected )?type '?System\.[^' ]*'?")]
    private static partial Regex TypeName();
}
