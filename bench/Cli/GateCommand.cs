using System.CommandLine;
using BnVerify.Bench.Gate;

namespace BnVerify.Bench.Cli;

/// <summary>
/// <c>bnverify gate --baseline FILE [--tolerance T] [--update-baseline]</c>: the CI regression gate
/// (<see cref="GateRunner"/>). Exit 0 pass, 1 regression, 2 missing or malformed baseline or bad option.
/// </summary>
internal static class GateCommand
{
    public static Command Create(CliContext context)
    {
        var baseline = new Option<string>("--baseline")
        {
            Description = "The baseline file to compare with (or to write, with --update-baseline)",
            HelpName = "FILE",
            DefaultValueFactory = _ => Path.Combine("reports", "baseline.json"),
        };
        var tolerance = new Option<double>("--tolerance")
        {
            Description = "Allowed slowdown of an implementation's time ratio to the reference, as a fraction (0..10)",
            HelpName = "T",
            DefaultValueFactory = _ => 0.25,
        };
        tolerance.Validators.Add(result =>
        {
            if (result.Tokens.Count > 0 && result.GetValueOrDefault<double>() is var t && !(t is >= 0 and <= 10))
                result.AddError($"--tolerance: {t} is out of range; must be 0..10");
        });
        var update = new Option<bool>("--update-baseline") { Description = "Measure and write the baseline (atomically) instead of comparing" };
        var rounds = CliOptions.IntInRange("--rounds", "Timing rounds", 30, 5, 1000);
        var cases = CliOptions.IntInRange("--cases", "Random correctness cases per implementation", 40, 1, 100000);
        var seed = CliOptions.IntInRange("--seed", "Seed of the random correctness cases", 20261201, 0, int.MaxValue);
        var processes = CliOptions.IntInRange("--processes", "Independent timing processes (each ratio is the median over them)", 3, 1, 15);
        // Internal: the gate starts itself with this to time in a fresh process (see GateRunner.TimeInChildProcess).
        var timeOnly = new Option<string>("--time-only") { Hidden = true };

        var command = new Command("gate",
            "CI regression gate: checks every verdict and times every implementation as a ratio to alt-simplified, " +
            "then fails on a significant slowdown beyond the tolerance, a changed verdict or a missing implementation")
        {
            baseline, tolerance, update, rounds, cases, seed, processes, timeOnly,
        };
        command.SetAction(parse =>
        {
            var options = new GateOptions(parse.GetValue(baseline)!, parse.GetValue(tolerance), parse.GetValue(update),
                parse.GetValue(rounds), parse.GetValue(cases), parse.GetValue(seed), Processes: parse.GetValue(processes));
            return parse.GetValue(timeOnly) is { } file
                ? GateRunner.TimeOnly(options, file)
                : GateRunner.Run(options, context.Stdout, context.Stderr);
        });
        return command;
    }
}
