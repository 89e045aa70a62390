using System.CommandLine;
using BnVerify.Cases;
using BnVerify.Checking;
using BnVerify.Verification;

namespace BnVerify.Bench.Cli;

/// <summary>
/// <c>bnverify check</c>: every selected implementation against the numerical oracles on K random problems (the same
/// problems for each), one row per implementation; a flawed one also gets its smallest failing case, shrunk and printed
/// in full as a case file.
/// </summary>
internal static class CheckCommand
{
    public static Command Create(CliContext context)
    {
        var impl = CliOptions.Impl("Check only this implementation (repeatable or comma-separated); default: all");
        var assembly = UserAssemblies.Option();
        var exec = ExternalPrograms.ExecOption();
        var execTimeout = ExternalPrograms.TimeoutOption();
        var cases = CliOptions.IntInRange("--cases", "Random problems per implementation", 200, 1, 100_000);
        var seed = new Option<int?>("--seed")
        {
            Description = "Seed of the random problems (0..2147483647); default: a fresh one. The seed used is always printed",
            HelpName = "S",
        };
        seed.Validators.Add(result => CliOptions.RequireRange(result, "--seed", 0, int.MaxValue));
        var maxN = CliOptions.IntInRange("--max-n", "Largest N of a random problem: rows, or images with --layout nchw|nhwc (default there 6)", 64, 1, 4096);
        var maxD = CliOptions.IntInRange("--max-d", "Largest D of a random problem: columns, or channels C with --layout nchw|nhwc (default there 6)", 16, 1, 1024);
        var layout = new Option<string>("--layout")
        {
            Description = "Layout of the random problems: nd (N×D, the default) or a spatial N×C×H×W batch presented as nchw or nhwc; " +
                          "every implementation runs each in its own memory order. Without --impl, nd checks the rows × channels implementations and a spatial layout checks all",
            HelpName = "nd|nchw|nhwc",
            DefaultValueFactory = _ => "nd",
        };
        layout.AcceptOnlyFromAmong("nd", "nchw", "nhwc");
        var maxHw = CliOptions.IntInRange("--max-hw", "Largest H and W of a spatial problem (--layout nchw|nhwc)", 7, 1, 64);
        var noSchedule = new Option<bool>("--no-schedule")
        {
            Description = "Random shapes only: leave out the scheduled edge and boundary shapes (N = 1, 2, 3, D = 1, 2^k ± 1 up to 4096 rows and 1025 columns) checked before them (N×D only)",
        };

        var command = new Command("check", "Check implementations against the numerical oracles (finite differences, directional derivatives) on random problems")
        {
            impl, assembly, exec, execTimeout, cases, seed, maxN, maxD, layout, maxHw, noSchedule,
        };
        command.SetAction(parseResult =>
        {
            Layouts.TryParse(parseResult.GetValue(layout), out var chosen);
            bool spatial = chosen != Layout.ND;
            // The spatial defaults keep N·H·W ≤ 294 values per channel, where finite differences are affordable.
            int Max(Option<int> option, int spatialDefault) =>
                spatial && parseResult.GetResult(option) is null or { Implicit: true } ? spatialDefault : parseResult.GetValue(option);
            int hw = parseResult.GetValue(maxHw);
            var registry = UserAssemblies.Registry(parseResult.GetValue(assembly));
            // --exec: external programs join the list of implementations; they end when the command does.
            using var external = ExternalPrograms.Start(parseResult.GetValue(exec), parseResult.GetValue(execTimeout), registry);
            return Run(context,
                external.With(registry, parseResult.GetValue(impl), spatial),
                parseResult.GetValue(cases),
                parseResult.GetValue(seed) ?? Random.Shared.Next(),
                new GeneratorRange(MaxN: Max(maxN, 6), MaxD: Max(maxD, 6), Layout: chosen, MaxH: hw, MaxW: hw),
                // The scheduled shapes are N×D; a spatial run draws its shapes at random (see GeneratorRange.Spatial).
                spatial || parseResult.GetValue(noSchedule) ? ShapeSchedule.None : ShapeSchedule.Default);
        });
        return command;
    }

    private static int Run(CliContext context, IReadOnlyList<IBatchNormBackward> impls, int cases, int seed, GeneratorRange range, ShapeSchedule schedule)
    {
        var output = context.Output;
        // The scheduled edge and boundary shapes first, then `cases` random ones (ProblemSource).
        var source = new ProblemSource(range, schedule);
        int random = cases;
        cases = source.Count(random);
        output.Line($"seed: {seed}");
        output.Line($"check: {impls.Count} implementation(s) x {cases} case(s): {source.Describe(random)}");
        ExternalPrograms.Describe(output, impls);

        // Random cases only (golden files are `cases`' job); the first failure of each flawed implementation shrunk and diagnosed.
        var options = new VerifierOptions { Cases = random, Seed = seed, Source = source, Given = [] };
        IReadOnlyList<VerificationReport> reports = [];
        output.RunWithProgress("checking", impls.Count * cases, tick => reports = Verifier.Run(impls, options, tick));
        ExternalPrograms.ThrowIfFailed(impls); // a program that failed as a program: exit 2, no verdict

        output.Table(
            [
                new("id"), new("declared"), new("found"), new("failed", Align.Right),
                new("worst dx", Align.Right), new("worst dgamma", Align.Right), new("worst dbeta", Align.Right),
                new("match"), new("diagnosis"),
            ],
            reports.Select(r => (IReadOnlyList<string>)
            [
                r.Id, ExternalPrograms.DeclaredText(r.Implementation), VerdictText(r.Found), $"{r.Failed}/{cases}",
                ConsoleOutput.Number(r.Worst(GradientName.Dx)), ConsoleOutput.Number(r.Worst(GradientName.Dgamma)),
                ConsoleOutput.Number(r.Worst(GradientName.Dbeta)),
                ExternalPrograms.MatchText(r.Implementation, r.Found),
                r.Diagnosis ?? "",
            ]));
        output.Line("errors are the largest over all cases, in each gradient's natural unit (see ErrorModel); '-' = not compared element by element");
        output.Line(ConsoleOutput.NonFiniteLegend);
        ExternalPrograms.ReportTiming(output, impls);

        foreach (var r in reports)
        {
            if (r.FirstFailure is not { } first) continue;
            output.Line();
            if (first.Result?.Error is { } error)
            {
                // It did not answer (threw, hung, wrong shape): there are no gradients to show, only what happened.
                output.Line($"{r.Id}: fails on case {first.Case.Index} of seed {seed} ({first.Case.Problem.ShapeText}): {error}");
                continue;
            }
            var shown = r.Shrunk ?? first.Result!;
            var p = shown.Problem;
            output.Line($"{r.Id}: smallest failing case (case {first.Case.Index} of seed {seed}, {first.Case.Problem.ShapeText}, shrunk to {p.ShapeText}):");
            foreach (var failure in shown.Summary().Split("; ")) output.Line($"  {failure}");
            string name = $"{r.Id}-seed{seed}-case{first.Case.Index}-shrunk";
            string layoutOptions = range.Layout == Layout.ND ? "" : $" --layout {Layouts.Name(range.Layout).ToLowerInvariant()} --max-hw {range.MaxH}";
            string origin = $"bnverify check --seed {seed} --max-n {range.MaxN} --max-d {range.MaxD}{layoutOptions}{(schedule.Shapes.Count == 0 && range.Layout == Layout.ND ? " --no-schedule" : "")}: case {first.Case.Index}, shrunk";
            foreach (var line in CaseWriter.ToJson(name, origin, p).TrimEnd('\n').Split('\n')) output.Line(line);
        }

        var mismatched = reports.Where(r => !r.MatchesDeclared).ToList();
        output.Line();
        output.Line($"{ExternalPrograms.Conclusion(reports.Select(r => (r.Implementation, r.Found)).ToList())} (seed {seed})");
        return mismatched.Count == 0 ? Cli.ExitOk : Cli.ExitMismatch;
    }

    internal static string VerdictText(Verdict v) => v == Verdict.Correct ? "correct" : "flawed";
}
