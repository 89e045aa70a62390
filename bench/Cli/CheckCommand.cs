using System.CommandLine;
using BnVerify.Cases;
using BnVerify.Checking;
using BnVerify.External;
using BnVerify.Verification;

namespace BnVerify.Bench.Cli;

/// <summary>
/// <c>bnverify check</c>: every selected implementation against the numerical oracles on K random problems (the same
/// problems for each), one row per implementation; a flawed one also gets its smallest failing case, shrunk and printed
/// in full as a case file. With <c>--json FILE</c> the same results are written as <c>bnverify-check/1</c>
/// (<see cref="CheckResults"/>), so scripts never parse the table.
/// </summary>
internal static class CheckCommand
{
    /// <summary>The default largest N and D of a 2-D problem.</summary>
    public const int DefaultMaxN = 64, DefaultMaxD = 16;

    /// <summary>The default largest N and C of a spatial problem, and its largest H and W.</summary>
    public const int SpatialDefaultMax = 6, DefaultMaxHw = 7;

    public static Command Create(CliContext context)
    {
        var impl = CliOptions.Impl("Check only this implementation (repeatable or comma-separated); default: all");
        var assembly = UserAssemblies.Option();
        var exec = ExternalPrograms.ExecOption();
        var execTimeout = ExternalPrograms.TimeoutOption();
        var cases = CliOptions.IntInRange("--cases", "Random problems per implementation", 200, 1, 100_000);
        var seed = CliOptions.OptionalIntInRange("--seed", "Seed of the random problems; default: a fresh one. The seed used is always printed", 0, int.MaxValue, "S");
        var maxN = CliOptions.IntInRange("--max-n", $"Largest N of a random problem: rows, or images with --layout nchw|nhwc (default there {SpatialDefaultMax})", DefaultMaxN, 1, 4096);
        var maxD = CliOptions.IntInRange("--max-d", $"Largest D of a random problem: columns, or channels C with --layout nchw|nhwc (default there {SpatialDefaultMax})", DefaultMaxD, 1, 1024);
        var layout = new Option<string>("--layout")
        {
            Description = "Layout of the random problems: nd (N×D, the default) or a spatial N×C×H×W batch presented as nchw or nhwc; " +
                          "every implementation runs each in its own memory order. Without --impl, nd checks the rows × channels implementations and a spatial layout checks all",
            HelpName = "nd|nchw|nhwc",
            DefaultValueFactory = _ => "nd",
        };
        layout.AcceptOnlyFromAmong("nd", "nchw", "nhwc");
        var maxHw = CliOptions.IntInRange("--max-hw", "Largest H and W of a spatial problem (--layout nchw|nhwc)", DefaultMaxHw, 1, 64);
        var noSchedule = new Option<bool>("--no-schedule")
        {
            Description = "Random shapes only: leave out the scheduled edge and boundary shapes (N = 1, 2, 3, D = 1, 2^k ± 1 up to 4096 rows and 1025 columns) checked before them (in a spatial run, as N·H·W rows × C channels)",
        };
        var json = OutputFiles.JsonOption("Also write the results as bnverify-check/1 JSON to FILE, in an existing folder (replaced atomically; nothing is written on bad input)");

        var command = new Command("check", "Check implementations against the numerical oracles (finite differences, directional derivatives) on random problems")
        {
            impl, assembly, exec, execTimeout, cases, seed, maxN, maxD, layout, maxHw, noSchedule, json,
        };
        command.SetAction(parseResult =>
        {
            Layouts.TryParse(parseResult.GetValue(layout), out var chosen);
            bool spatial = chosen != Layout.ND;
            // The spatial defaults keep N·H·W ≤ 294 values per channel, where finite differences are affordable.
            int Max(Option<int> option, int spatialDefault) =>
                spatial && parseResult.GetResult(option) is null or { Implicit: true } ? spatialDefault : parseResult.GetValue(option);
            int hw = parseResult.GetValue(maxHw);
            string? jsonTarget = parseResult.GetValue(json) is { } path ? OutputFiles.Target("--json", path) : null;
            string[] assemblies = parseResult.GetValue(assembly) ?? [];
            var registry = UserAssemblies.Registry(assemblies);
            // --exec: external programs join the list of implementations; they end when the command does.
            using var external = ExternalPrograms.Start(parseResult.GetValue(exec), parseResult.GetValue(execTimeout), registry);
            var run = new CheckRun(
                external.With(registry, parseResult.GetValue(impl), spatial),
                parseResult.GetValue(cases),
                parseResult.GetValue(seed) ?? Random.Shared.Next(),
                new GeneratorRange(MaxN: Max(maxN, SpatialDefaultMax), MaxD: Max(maxD, SpatialDefaultMax), Layout: chosen, MaxH: hw, MaxW: hw),
                parseResult.GetValue(noSchedule) ? ShapeSchedule.None : ShapeSchedule.Default,
                assemblies);
            return Run(context, run, jsonTarget);
        });
        return command;
    }

    private static int Run(CliContext context, CheckRun run, string? jsonTarget)
    {
        var (impls, random, seed, range, _, _) = run;
        var output = context.Output;
        // The scheduled edge and boundary shapes first, then `random` random ones (ProblemSource).
        var source = run.Options.Source;
        int cases = source.Count(random);
        output.Line($"seed: {seed}");
        output.Paragraph($"check: {impls.Count} implementation(s) x {cases} case(s): {source.Describe(random)}");
        ExternalPrograms.Describe(output, impls);

        // Generated cases only (golden files are `cases`' job); the first failure of each flawed implementation shrunk and diagnosed.
        var options = run.Options;
        IReadOnlyList<VerificationReport> reports = [];
        output.RunWithProgress("checking", impls.Count * cases, tick => reports = Verifier.Run(impls, options, tick));
        ExternalPrograms.ThrowIfFailed(impls); // a program that failed as a program: exit 2, no verdict

        // The results file before the report, so a failure to write it is reported as the last line.
        if (jsonTarget is not null) OutputFiles.WriteAtomically("--json", jsonTarget, CheckResults.Json(run, reports));

        output.Table(
            [
                new("id"), new("declared", Fit: Fit.Drop, Priority: 0), new("found"), new("failed", Align.Right),
                new("worst dx", Align.Right), new("worst dgamma", Align.Right, Fit.Drop, 2), new("worst dbeta", Align.Right, Fit.Drop, 1),
                new("match"), new("diagnosis", Fit: Fit.Wrap),
            ],
            reports.Select(r => (IReadOnlyList<string>)
            [
                r.Id, ExternalPrograms.DeclaredText(r.Implementation), VerdictText(r.Found), $"{r.Failed}/{cases}",
                ConsoleOutput.Number(r.Worst(GradientName.Dx)), ConsoleOutput.Number(r.Worst(GradientName.Dgamma)),
                ConsoleOutput.Number(r.Worst(GradientName.Dbeta)),
                ExternalPrograms.MatchText(r.Implementation, r.Found),
                r.Diagnosis ?? "",
            ]));
        output.Paragraph("errors are the largest over all cases, in each gradient's natural unit (see ErrorModel); '-' = not compared element by element");
        output.Paragraph(ConsoleOutput.NonFiniteLegend);
        ExternalPrograms.ReportTiming(output, impls);

        foreach (var r in reports)
        {
            if (run.Counterexample(r) is not { } example) continue;
            var first = r.FirstFailure!;
            output.Line();
            if (example.Unanswered)
            {
                // It did not answer (threw, hung, wrong shape): there are no gradients to show, only what happened.
                output.Paragraph($"{r.Id}: fails on case {first.Case.Index} of seed {seed} ({first.Case.Problem.ShapeText}): {example.Failure}");
                continue;
            }
            output.Paragraph($"{r.Id}: smallest failing case (case {first.Case.Index} of seed {seed}, {first.Case.Problem.ShapeText}, shrunk to {example.Problem.ShapeText}):");
            foreach (var failure in example.Failure.Split("; ")) output.Paragraph(failure, "  ", "    ");
            output.Json(example.CaseJson);
        }

        var mismatched = reports.Where(r => !r.MatchesDeclared).ToList();
        output.Line();
        if (jsonTarget is not null) output.Paragraph($"results: {jsonTarget}");
        output.Paragraph($"{ExternalPrograms.Conclusion(reports.Select(r => (r.Implementation, r.Found)).ToList())} (seed {seed})");
        return mismatched.Count == 0 ? Cli.ExitOk : Cli.ExitMismatch;
    }

    internal static string VerdictText(Verdict v) => v == Verdict.Correct ? "correct" : "flawed";
}

/// <summary>A flawed implementation's counterexample: the shrunk case (or the first failing one when it did not answer), why it fails, and the case file.</summary>
/// <param name="Problem">The case shown: the shrunk one, or the first failing one.</param>
/// <param name="Failure">The check's summary on that case, or what the implementation did instead of answering.</param>
/// <param name="CaseJson">The case as a <c>bnverify-case/1</c> file.</param>
/// <param name="Unanswered">True when the implementation threw, hung or returned a wrong shape: there is nothing to shrink.</param>
internal sealed record Counterexample(BatchNormProblem Problem, string Failure, string CaseJson, bool Unanswered);

/// <summary>One <c>check</c> run: what is checked, on which problems, and the command that replays it.</summary>
internal sealed record CheckRun(IReadOnlyList<IBatchNormBackward> Impls, int Cases, int Seed, GeneratorRange Range, ShapeSchedule Schedule, IReadOnlyList<string> Assemblies)
{
    /// <summary>The verifier's options: the scheduled shapes, then <see cref="Cases"/> random cases, shrunk and diagnosed; no given cases.</summary>
    public VerifierOptions Options { get; } = new() { Cases = Cases, Seed = Seed, Source = new ProblemSource(Range, Schedule), Given = [] };

    /// <summary>The options that chose the problems, each only when it is not the default: " --layout nchw --max-n 8", or "".</summary>
    public string RangeOptions
    {
        get
        {
            bool spatial = Range.Layout != Layout.ND;
            var options = new List<string>();
            if (spatial) options.Add($"--layout {Layouts.Name(Range.Layout).ToLowerInvariant()}");
            if (Range.MaxN != (spatial ? CheckCommand.SpatialDefaultMax : CheckCommand.DefaultMaxN)) options.Add($"--max-n {Range.MaxN}");
            if (Range.MaxD != (spatial ? CheckCommand.SpatialDefaultMax : CheckCommand.DefaultMaxD)) options.Add($"--max-d {Range.MaxD}");
            if (spatial && Range.MaxH != CheckCommand.DefaultMaxHw) options.Add($"--max-hw {Range.MaxH}");
            if (Schedule.Shapes.Count == 0) options.Add("--no-schedule");
            return string.Concat(options.Select(o => " " + o));
        }
    }

    /// <summary>The command line that checks <paramref name="impl"/> again on the same problems.</summary>
    public string ReplayCommand(IBatchNormBackward impl)
    {
        string which = impl is ExternalBackward program
            ? $"--exec \"{program.Command.Replace("\"", "\\\"", StringComparison.Ordinal)}\""
            : $"--impl {impl.Info.Id}" + (BuiltIn.Implementations.Exists(impl.Info.Id) ? "" : string.Concat(Assemblies.Select(a => $" --assembly {a}")));
        return $"{Cli.ToolName} check {which} --seed {Seed} --cases {Cases}{RangeOptions}";
    }

    /// <summary>The counterexample of a flawed implementation; null when every case passed.</summary>
    public Counterexample? Counterexample(VerificationReport report)
    {
        if (report.FirstFailure is not { } first) return null;
        if (first.Result?.Error is { } error)
        {
            string unanswered = CaseWriter.ToJson($"{report.Id}-seed{Seed}-case{first.Case.Index}", $"{Cli.ToolName} check --seed {Seed}{RangeOptions}: case {first.Case.Index}", first.Case.Problem);
            return new Counterexample(first.Case.Problem, error, unanswered, Unanswered: true);
        }
        var shown = report.Shrunk ?? first.Result!;
        string name = $"{report.Id}-seed{Seed}-case{first.Case.Index}-shrunk";
        string source = $"{Cli.ToolName} check --seed {Seed}{RangeOptions}: case {first.Case.Index}, shrunk";
        return new Counterexample(shown.Problem, shown.Summary(), CaseWriter.ToJson(name, source, shown.Problem), Unanswered: false);
    }
}
