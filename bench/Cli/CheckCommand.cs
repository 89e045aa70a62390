using System.CommandLine;
using BnVerify.Cases;
using BnVerify.Checking;

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
        var cases = CliOptions.IntInRange("--cases", "Random problems per implementation", 200, 1, 100_000);
        var seed = new Option<int?>("--seed")
        {
            Description = "Seed of the random problems (0..2147483647); default: a fresh one. The seed used is always printed",
            HelpName = "S",
        };
        seed.Validators.Add(result => CliOptions.RequireRange(result, "--seed", 0, int.MaxValue));
        var maxN = CliOptions.IntInRange("--max-n", "Largest N (rows) of a random problem", 64, 1, 4096);
        var maxD = CliOptions.IntInRange("--max-d", "Largest D (columns) of a random problem", 16, 1, 1024);
        var noSchedule = new Option<bool>("--no-schedule")
        {
            Description = "Random shapes only: leave out the scheduled edge and boundary shapes (N = 1, 2, 3, D = 1, 2^k ± 1 up to 4096 rows and 1025 columns) checked before them",
        };

        var command = new Command("check", "Check implementations against the numerical oracles (finite differences, directional derivatives) on random problems")
        {
            impl, cases, seed, maxN, maxD, noSchedule,
        };
        command.SetAction(parseResult => Run(context,
            CliOptions.Selected(parseResult.GetValue(impl)),
            parseResult.GetValue(cases),
            parseResult.GetValue(seed) ?? Random.Shared.Next(),
            new GeneratorRange(MaxN: parseResult.GetValue(maxN), MaxD: parseResult.GetValue(maxD)),
            parseResult.GetValue(noSchedule) ? ShapeSchedule.None : ShapeSchedule.Default));
        return command;
    }

    /// <summary>What one implementation did over all cases.</summary>
    private sealed class Outcome(IBatchNormBackward impl, int cases)
    {
        public IBatchNormBackward Impl { get; } = impl;

        /// <summary>Per case: passed, and its largest error per gradient (null when only probed).</summary>
        public bool[] Pass { get; } = new bool[cases];

        public double?[][] Errors { get; } = new double?[cases][];

        public int Failed => Pass.Count(p => !p);

        public int FirstFailing => Array.IndexOf(Pass, false);

        public Verdict Found => Failed > 0 ? Verdict.Flawed : Verdict.Correct;

        /// <summary>Largest error of gradient <paramref name="g"/> over all cases; NaN wins; null when never measured.</summary>
        public double? Worst(GradientName g)
        {
            double? worst = null;
            foreach (var e in Errors)
            {
                var v = e[(int)g];
                if (v is not { } value || (worst is { } w && double.IsNaN(w))) continue;
                if (worst is null || double.IsNaN(value) || value > worst) worst = value;
            }
            return worst;
        }
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

        var outcomes = impls.Select(i => new Outcome(i, cases)).ToArray();
        output.RunWithProgress("checking", impls.Count * cases, tick =>
        {
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount };
            Parallel.For(0, cases, parallel, c =>
            {
                // Drawn once per case and shared by every implementation, as are the oracles (CheckAll).
                var problem = source.Case(seed, c);
                var results = GradientChecker.CheckAll(impls, problem);
                for (int k = 0; k < outcomes.Length; k++)
                {
                    var outcome = outcomes[k];
                    var result = results[k];
                    outcome.Pass[c] = result.Pass;
                    outcome.Errors[c] = Gradients.All.Select(g => result.Of(g) is null ? (double?)null : result.MaxError(g)).ToArray();
                    tick();
                }
            });
        });

        // Shrink the first failing case of each implementation found flawed.
        var shrunk = new Dictionary<string, (int Index, BatchNormProblem Original, CheckResult Result)>();
        foreach (var outcome in outcomes.Where(o => o.Found == Verdict.Flawed))
        {
            int index = outcome.FirstFailing;
            var original = source.Case(seed, index);
            var impl = outcome.Impl;
            var smallest = ProblemShrinker.Minimize(original, p => !GradientChecker.Check(impl, p).Pass);
            shrunk[impl.Info.Id] = (index, original, GradientChecker.Check(impl, smallest));
        }

        output.Table(
            [
                new("id"), new("declared"), new("found"), new("failed", Align.Right),
                new("worst dx", Align.Right), new("worst dgamma", Align.Right), new("worst dbeta", Align.Right),
                new("match"), new("diagnosis"),
            ],
            outcomes.Select(o => (IReadOnlyList<string>)
            [
                o.Impl.Info.Id, o.Impl.Info.DeclaredText, VerdictText(o.Found), $"{o.Failed}/{cases}",
                ConsoleOutput.Number(o.Worst(GradientName.Dx)), ConsoleOutput.Number(o.Worst(GradientName.Dgamma)),
                ConsoleOutput.Number(o.Worst(GradientName.Dbeta)),
                o.Found == o.Impl.Info.Declared ? "ok" : "MISMATCH",
                shrunk.TryGetValue(o.Impl.Info.Id, out var s) ? Diagnosis.Diagnose(o.Impl, s.Result) : "",
            ]));
        output.Line("errors are the largest over all cases, in each gradient's natural unit (see ErrorModel); '-' = not compared element by element");

        foreach (var outcome in outcomes)
        {
            if (!shrunk.TryGetValue(outcome.Impl.Info.Id, out var s)) continue;
            var p = s.Result.Problem;
            output.Line();
            output.Line($"{outcome.Impl.Info.Id}: smallest failing case (case {s.Index} of seed {seed}, {s.Original.N}x{s.Original.D}, shrunk to {p.N}x{p.D}):");
            foreach (var failure in s.Result.Summary().Split("; ")) output.Line($"  {failure}");
            string name = $"{outcome.Impl.Info.Id}-seed{seed}-case{s.Index}-shrunk";
            string origin = $"bnverify check --seed {seed} --max-n {range.MaxN} --max-d {range.MaxD}{(schedule.Shapes.Count == 0 ? " --no-schedule" : "")}: case {s.Index}, shrunk";
            foreach (var line in CaseWriter.ToJson(name, origin, p).TrimEnd('\n').Split('\n')) output.Line(line);
        }

        var mismatched = outcomes.Where(o => o.Found != o.Impl.Info.Declared).ToList();
        output.Line();
        output.Line(mismatched.Count == 0
            ? $"ok: every found verdict equals the declared one (seed {seed})"
            : $"MISMATCH: {string.Join(", ", mismatched.Select(o => $"{o.Impl.Info.Id} declared {o.Impl.Info.DeclaredText}, found {VerdictText(o.Found)}"))} (seed {seed})");
        return mismatched.Count == 0 ? Cli.ExitOk : Cli.ExitMismatch;
    }

    internal static string VerdictText(Verdict v) => v == Verdict.Correct ? "correct" : "flawed";
}
