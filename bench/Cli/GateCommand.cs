using System.CommandLine;
using BnVerify.Bench.Gate;

namespace BnVerify.Bench.Cli;

/// <summary>
/// <c>bnverify gate --baseline FILE [--tolerance T] [--memory-tolerance T] [--update-baseline] [--plant ID:KEY=VALUE]</c>: the CI regression gate
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
        var tolerance = Fraction("--tolerance", "Allowed slowdown of an in-cache time ratio to alt-simplified, as a fraction", 0.25);
        var memoryTolerance = Fraction("--memory-tolerance", "Allowed slowdown of a memory-bound time ratio (fast kernel to its bandwidth yardstick), as a fraction", 0.15);
        var update = new Option<bool>("--update-baseline") { Description = "Measure and write the baseline (atomically) instead of comparing" };
        var rounds = CliOptions.IntInRange("--rounds", "In-cache timing rounds", 30, 5, 1000);
        var cases = CliOptions.IntInRange("--cases", "Random correctness cases per implementation", 40, 1, 100000);
        var seed = CliOptions.IntInRange("--seed", "Seed of the random correctness cases", 20261201, 0, int.MaxValue);
        var processes = CliOptions.IntInRange("--processes", "Independent timing processes (each ratio is the median over them)", 3, 1, 15);
        var memoryRounds = CliOptions.IntInRange("--memory-rounds", "Memory-bound timing rounds (0: skip the memory-bound regime)", 30, 0, 1000);
        memoryRounds.Validators.Add(result =>
        {
            if (result.Tokens.Count > 0 && result.GetValueOrDefault<int>() == 1) result.AddError("--memory-rounds: 1 is too few; use 0 (skip) or at least 2");
        });
        var memoryShape = new Option<string[]>("--memory-shape")
        {
            Description = $"The memory-bound shape of a type, TYPE=NxD (repeatable; default {string.Join(" ", GateOptions.DefaultMemoryShapes.Select(kv => $"{kv.Key}={kv.Value}"))})",
            HelpName = "TYPE=NxD",
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = true,
        };
        memoryShape.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
            {
                var parts = token.Value.Split('=', 2);
                if (parts.Length != 2 || parts[0] is not ("f64" or "f32") || !IsShape(parts[1]))
                {
                    result.AddError($"--memory-shape: '{token.Value}' is not TYPE=NxD with TYPE f64 or f32 (e.g. f64=4096x1024)");
                    return;
                }
            }
        });
        var plant = BenchmarkEntry.KernelVariantOption("--plant",
            "Plant a regression to test the gate: time ID with changed kernel settings in place of the real kernel, " +
            "e.g. fused-simd-nt-f64:stores=never (keys as for the benchmark's --variant; one per kernel; never with --update-baseline)");
        plant.Validators.Add(result =>
        {
            var ids = result.Tokens.Select(t => t.Value.Split(':', 2)[0]).ToList();
            if (ids.Distinct().Count() != ids.Count) result.AddError("--plant: one plant per kernel (combine settings with commas: ID:KEY=VALUE,KEY=VALUE)");
        });
        // Internal: the gate starts itself with this to time in a fresh process (see GateRunner.TimeInChildProcess).
        var timeOnly = new Option<string>("--time-only") { Hidden = true };

        var command = new Command("gate",
            "CI regression gate: checks every verdict, times every implementation in cache as a ratio to alt-simplified and every " +
            "fast kernel at a memory-bound shape as a ratio to its bandwidth yardstick, then fails on a significant slowdown " +
            "beyond the tolerance, a changed verdict or a missing implementation")
        {
            baseline, tolerance, memoryTolerance, update, rounds, memoryRounds, memoryShape, cases, seed, processes, plant, timeOnly,
        };
        // The one rule for files bnverify writes (OutputFiles): a baseline to write goes into a folder that exists.
        command.Validators.Add(result =>
        {
            if (result.GetValue(update) && result.GetValue(baseline) is { } path) OutputFiles.Require(result, baseline.Name, path);
        });
        command.SetAction(parse =>
        {
            var shapes = parse.GetValue(memoryShape) is { Length: > 0 } given
                ? GateOptions.DefaultMemoryShapes.Concat(given.Select(g => g.Split('=', 2)).Select(p => KeyValuePair.Create(p[0], p[1].Replace('×', 'x').Replace('X', 'x'))))
                    .GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.Last().Value)
                : null;
            var options = new GateOptions(parse.GetValue(baseline)!, parse.GetValue(tolerance), parse.GetValue(update),
                parse.GetValue(rounds), parse.GetValue(cases), parse.GetValue(seed), Processes: parse.GetValue(processes),
                MemoryTolerance: parse.GetValue(memoryTolerance), MemoryRounds: parse.GetValue(memoryRounds),
                Plants: parse.GetValue(plant)?.Select(v => KernelVariant.Parse(v).Name).ToList(), MemoryShapes: shapes);
            return parse.GetValue(timeOnly) is { } file
                ? GateRunner.TimeOnly(options, file)
                : GateRunner.Run(options, context.Stdout, context.Stderr);
        });
        return command;
    }

    private static Option<double> Fraction(string name, string description, double defaultValue)
    {
        var option = new Option<double>(name)
        {
            Description = $"{description} (0..10; default {defaultValue})",
            HelpName = "T",
            DefaultValueFactory = _ => defaultValue,
        };
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count > 0 && result.GetValueOrDefault<double>() is var t && !(t is >= 0 and <= 10))
                result.AddError($"{name}: {t} is out of range; must be 0..10");
        });
        return option;
    }

    private static bool IsShape(string text)
    {
        var parts = text.Split('x', '×', 'X');
        return parts.Length == 2 && int.TryParse(parts[0], out int n) && int.TryParse(parts[1], out int d) && n >= 1 && d >= 1;
    }
}
