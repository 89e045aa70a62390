using System.CommandLine;
using System.Text.Json;
using BnVerify.Cases;
using BnVerify.Checking;
using BnVerify.Verification;

namespace BnVerify.Bench.Cli;

/// <summary>
/// <c>bnverify cases PATH ...</c>: every selected implementation against <c>bnverify-case/1</c> files (stored expected
/// values, or the numerical oracle when a case has none); an implementation × case table, declared against found
/// verdicts, and optionally a <c>bnverify-results/1</c> file. Every input is read and validated before any check
/// runs, and the results file is written to a temporary file in the same folder and then renamed, so on bad input
/// (exit 2) nothing is written at all.
/// </summary>
internal static class CasesCommand
{
    /// <summary>The results-file format tag.</summary>
    public const string ResultsFormat = "bnverify-results/1";

    public static Command Create(CliContext context)
    {
        var paths = new Argument<string[]>("PATH")
        {
            Description = "A bnverify-case/1 file, or a folder: every *.json in it (format: golden/FORMAT.md)",
            // ZeroOrMore plus the validator below, so that a missing PATH gets bnverify's own message.
            Arity = ArgumentArity.ZeroOrMore,
        };
        var json = OutputFiles.JsonOption("Write the bnverify-results/1 results to FILE, in an existing folder (replaced atomically; nothing is written on bad input)");
        var emit = new Option<bool>("--emit-gradients") { Description = "Include each implementation's gradients in the results file" };
        var impl = CliOptions.Impl("Check only this implementation (repeatable or comma-separated); default: all");
        var assembly = UserAssemblies.Option();
        var exec = ExternalPrograms.ExecOption();
        var execTimeout = ExternalPrograms.TimeoutOption();
        var command = new Command("cases", "Check implementations against case files: stored expected values, or the numerical oracle when a case has none")
        {
            paths, json, emit, impl, assembly, exec, execTimeout,
        };
        command.Validators.Add(result =>
        {
            var given = result.GetValue(paths) ?? [];
            if (given.Length == 0)
                result.AddError("cases: PATH is missing: name at least one case file or folder");
            // An unknown option lands among the paths: say it is no option (a file named "-x" is still read as ./-x).
            else if (given.FirstOrDefault(p => p.StartsWith('-') && !File.Exists(p) && !Directory.Exists(p)) is { } unknown)
                result.AddError(ArgumentRules.UnknownOption(command, $"{Cli.ToolName} cases", unknown));
        });
        command.SetAction(parseResult =>
        {
            var registry = UserAssemblies.Registry(parseResult.GetValue(assembly));
            // --exec: external programs join the list of implementations; they end when the command does.
            using var external = ExternalPrograms.Start(parseResult.GetValue(exec), parseResult.GetValue(execTimeout), registry);
            return Run(context,
                parseResult.GetValue(paths) ?? [],
                parseResult.GetValue(json),
                parseResult.GetValue(emit),
                registry, parseResult.GetValue(impl), external);
        });
        return command;
    }

    /// <summary>One implementation on one case.</summary>
    private sealed record Cell(CaseFile Case, CheckResult Result);

    private static int Run(CliContext context, string[] paths, string? jsonPath, bool emitGradients, Registry registry, string[]? ids, ExternalPrograms external)
    {
        // 1. Every input first: the output path, then every case file. Any problem is exit 2 before any work or output.
        _ = CliOptions.Selected(registry, ids); // an unknown id is bad input before anything is read
        string? jsonTarget = jsonPath is null ? null : OutputFiles.Target("--json", jsonPath);
        var cases = LoadAll(paths);
        // Without --impl, 2-D cases check the rows × channels implementations and spatial cases check every one (CliOptions.Selected).
        var impls = external.With(registry, ids, spatial: cases.Any(c => c.Problem.IsSpatial));

        // 2. The checks, through the one pipeline: the given cases only, every result kept for the table and the file.
        var output = context.Output;
        var options = new VerifierOptions
        {
            // The given cases alone: no random cases and no scheduled shapes.
            Cases = 0,
            Source = ProblemSource.RandomOnly(),
            Given = cases.Select(VerificationCase.From).ToList(),
            Shrink = false,
            Diagnose = false,
            KeepResults = true,
        };
        IReadOnlyList<VerificationReport> reports = [];
        output.RunWithProgress("checking cases", impls.Count * cases.Count, tick => reports = Verifier.Run(impls, options, tick));
        var cells = new Cell[impls.Count, cases.Count];
        for (int i = 0; i < impls.Count; i++)
            for (int c = 0; c < cases.Count; c++)
                cells[i, c] = new Cell(cases[c], reports[i].Cases[c].Result!);
        var found = reports.Select(r => r.Found).ToArray();
        bool ok = Enumerable.Range(0, impls.Count).All(i => found[i] == impls[i].Info.Declared);
        ExternalPrograms.ThrowIfFailed(impls); // a program that failed as a program: exit 2, no verdict, no results file

        // 3. The results file, before the report, so a failure to write it is reported as the last line.
        if (jsonTarget is not null) OutputFiles.WriteAtomically("--json", jsonTarget, ResultsJson(cases, impls, cells, found, ok, emitGradients));

        // 4. The report: implementation × case, then declared against found.
        output.Paragraph($"cases: {cases.Count} case(s) from {string.Join(", ", paths)}; {impls.Count} implementation(s)");
        ExternalPrograms.Describe(output, impls);
        output.Table(
            [new("case"), new(cases.Any(c => c.Problem.IsSpatial) ? "shape" : "N x D", Align.Right), new("oracle"), .. impls.Select(i => new Column(i.Info.Id))],
            Enumerable.Range(0, cases.Count).Select(c => (IReadOnlyList<string>)
            [
                cases[c].Name, cases[c].Problem.ShapeText, cases[c].Expected is null ? "numerical" : "stored",
                .. Enumerable.Range(0, impls.Count).Select(i => cells[i, c].Result.Pass ? "pass" : "FAIL"),
            ]));
        var failures = Enumerable.Range(0, impls.Count)
            .SelectMany(i => Enumerable.Range(0, cases.Count).Select(c => (Impl: impls[i], Cell: cells[i, c])))
            .Where(x => !x.Cell.Result.Pass).ToList();
        if (failures.Count > 0)
        {
            output.Line();
            output.Paragraph("why each FAIL fails (the worst element of each failing gradient; error and bound in the gradient's natural unit, see ErrorModel):");
            foreach (var (impl, cell) in failures)
                output.Paragraph($"{impl.Info.Id} on {cell.Case.Name}: {Reason(cell.Result)}", "  ", "    ");
        }
        output.Line();
        output.Table(
            [
                new("id"), new("declared", Fit: Fit.Drop, Priority: 0), new("found"), new("failed", Align.Right),
                new("worst dx", Align.Right), new("worst dgamma", Align.Right, Fit.Drop, 2), new("worst dbeta", Align.Right, Fit.Drop, 1), new("match"),
            ],
            Enumerable.Range(0, impls.Count).Select(i => (IReadOnlyList<string>)
            [
                impls[i].Info.Id, ExternalPrograms.DeclaredText(impls[i]), CheckCommand.VerdictText(found[i]),
                $"{Enumerable.Range(0, cases.Count).Count(c => !cells[i, c].Result.Pass)}/{cases.Count}",
                .. Gradients.All.Select(g => ConsoleOutput.Number(Worst(Enumerable.Range(0, cases.Count).Select(c => cells[i, c].Result), g))),
                ExternalPrograms.MatchText(impls[i], found[i]),
            ]));
        output.Paragraph("errors are the largest over the cases, in each gradient's natural unit (see ErrorModel)");
        output.Paragraph(ConsoleOutput.NonFiniteLegend);
        ExternalPrograms.ReportTiming(output, impls);
        foreach (int i in Enumerable.Range(0, impls.Count).Where(i => found[i] != impls[i].Info.Declared))
        {
            var failing = Enumerable.Range(0, cases.Count).Select(c => cells[i, c]).FirstOrDefault(x => !x.Result.Pass);
            output.Paragraph(failing is null
                ? $"MISMATCH {impls[i].Info.Id}: declared flawed, but passes every case"
                : impls[i] is External.ExternalBackward
                    ? $"FLAWED {impls[i].Info.Id} (external program): fails {failing.Case.Name}: {failing.Result.Summary()}"
                    : $"MISMATCH {impls[i].Info.Id}: declared correct, but fails {failing.Case.Name}: {failing.Result.Summary()}");
        }
        if (jsonTarget is not null) output.Paragraph($"results: {jsonTarget}");
        output.Paragraph(impls.Any(i => i is External.ExternalBackward)
            ? ExternalPrograms.Conclusion(Enumerable.Range(0, impls.Count).Select(i => (impls[i], found[i])).ToList())
            : ok ? "ok: every found verdict equals the declared one" : "MISMATCH: some found verdict differs from the declared one");
        return ok ? Cli.ExitOk : Cli.ExitMismatch;
    }

    /// <summary>
    /// Why a check failed, in one line: per failing gradient its worst element with expected and actual values and the
    /// error against its bound ("dx[1][0] expected -3.56093e-06, actual -0.928156: error 1 exceeds bound 4.74e-14"), or
    /// for a gradient only probed, its worst directional derivative; or what the implementation did instead of answering.
    /// </summary>
    internal static string Reason(CheckResult r)
    {
        if (r.Error is not null) return r.Error;
        var parts = new List<string>();
        foreach (var g in r.Gradients.Where(g => !g.Pass))
        {
            var e = g.Worst;
            parts.Add(Poison.Is(e.Actual)
                ? Invariant($"{e.Where} was never written (expected {e.Expected:G6})")
                : $"{e.Where} expected {Distinct(e.Expected, e.Actual)}, actual {Distinct(e.Actual, e.Expected)}: error {Invariant($"{e.Error:G3}")} exceeds bound {Invariant($"{e.Bound:G3}")}");
        }
        foreach (var p in r.Probes.Where(p => !p.Pass && r.Of(p.Gradient) is null).GroupBy(p => p.Gradient).Select(g => g.MaxBy(p => p.Difference / p.Bound)!))
            parts.Add(Invariant($"{Gradients.NameOf(p.Gradient)} (directional derivative): <v, backward> = {p.Backward:G6} but <dout, J·v> = {p.Exact:G6}: difference {p.Difference:G3} exceeds bound {p.Bound:G3}"));
        return parts.Count > 0 ? string.Join("; ", parts) : r.Summary();
    }

    private static string Invariant(FormattableString text) => FormattableString.Invariant(text);

    /// <summary><paramref name="value"/> with six significant digits, or as many more as it takes to differ from <paramref name="other"/> when they differ.</summary>
    private static string Distinct(double value, double other)
    {
        for (int digits = 6; digits < 17; digits++)
        {
            string a = value.ToString($"G{digits}", System.Globalization.CultureInfo.InvariantCulture);
            if (a != other.ToString($"G{digits}", System.Globalization.CultureInfo.InvariantCulture) || value == other) return a;
        }
        return value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Expands and loads every path; the first problem is a <see cref="BadInputException"/>.</summary>
    internal static IReadOnlyList<CaseFile> LoadAll(IEnumerable<string> paths)
    {
        var cases = new List<CaseFile>();
        var byName = new Dictionary<string, CaseFile>(StringComparer.Ordinal);
        var seenFiles = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            try
            {
                foreach (var file in CaseFile.Expand(path))
                {
                    if (!seenFiles.Add(Path.GetFullPath(file))) continue; // the same file named twice (a folder and a file in it) is read once
                    CaseFile loaded;
                    try
                    {
                        loaded = CaseFile.Load(file);
                    }
                    catch (ArgumentException e)
                    {
                        // BatchNormProblem's own validation, for anything CaseFile.Load let through.
                        throw new CaseFormatException(file, e.ParamName, StripParamName(e));
                    }
                    if (byName.TryGetValue(loaded.Name, out var other))
                        throw new CaseFormatException(file, "name", $"'{loaded.Name}' is also the name of {other.Path}; case names must be unique");
                    byName.Add(loaded.Name, loaded);
                    cases.Add(loaded);
                }
            }
            catch (CaseFormatException e)
            {
                throw new BadInputException(e.Message);
            }
        }
        return cases;
    }

    private static string StripParamName(ArgumentException e)
    {
        // ArgumentException.Message appends " (Parameter 'x')", and ArgumentOutOfRangeException also "Actual value was …".
        string message = e.Message;
        int cut = message.IndexOf(" (Parameter '", StringComparison.Ordinal);
        return cut >= 0 ? message[..cut] : message;
    }

    /// <summary>Largest MaxError of gradient <paramref name="g"/> over <paramref name="results"/>; NaN wins; null when never compared element by element.</summary>
    internal static double? Worst(IEnumerable<CheckResult> results, GradientName g)
    {
        double? worst = null;
        foreach (var r in results)
        {
            if (r.Of(g) is null || (worst is { } w && double.IsNaN(w))) continue;
            double value = r.MaxError(g);
            if (worst is null || double.IsNaN(value) || value > worst) worst = value;
        }
        return worst;
    }

    /// <summary>
    /// The <c>bnverify-results/1</c> document (golden/FORMAT.md). JSON has no NaN or infinity: an error or a gradient
    /// value that is not a finite number is written as <c>null</c> (an error is also null when the gradient was only
    /// probed, never compared element by element). Added keys: <c>source</c> per case and implementation,
    /// <c>oracle</c> per result, and <c>failure</c> (the check's one-line summary) on a failing result.
    /// </summary>
    private static byte[] ResultsJson(IReadOnlyList<CaseFile> cases, IReadOnlyList<IBatchNormBackward> impls, Cell[,] cells, Verdict[] found, bool ok, bool emitGradients) =>
        JsonFile.Write(w =>
        {
            w.WriteStartObject();
            w.WriteString("format", ResultsFormat);
            w.WriteBoolean("ok", ok);
            w.WriteStartArray("cases");
            foreach (var c in cases)
            {
                w.WriteStartObject();
                w.WriteString("name", c.Name);
                w.WriteNumber("n", c.Problem.N);
                w.WriteNumber("d", c.Problem.D);
                if (c.Problem.IsSpatial)
                {
                    // n and d stay the canonical view's rows (N·H·W) and columns (C); the spatial shape beside them.
                    w.WriteString("layout", Layouts.Name(c.Problem.Layout));
                    w.WriteStartArray("shape");
                    foreach (int extent in new[] { c.Problem.Shape.N, c.Problem.Shape.C, c.Problem.Shape.H, c.Problem.Shape.W }) w.WriteNumberValue(extent);
                    w.WriteEndArray();
                }
                w.WriteNumber("eps", c.Problem.Eps);
                w.WriteString("source", c.Source);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("implementations");
            for (int i = 0; i < impls.Count; i++)
            {
                w.WriteStartObject();
                w.WriteString("id", impls[i].Info.Id);
                w.WriteString("expected", ExternalPrograms.DeclaredText(impls[i])); // "unknown" for an external program
                w.WriteString("verdict", CheckCommand.VerdictText(found[i]));
                w.WriteString("source", impls[i].Info.Source);
                w.WriteStartArray("results");
                for (int c = 0; c < cases.Count; c++)
                {
                    var r = cells[i, c].Result;
                    w.WriteStartObject();
                    w.WriteString("case", cases[c].Name);
                    w.WriteBoolean("pass", r.Pass);
                    w.WriteString("oracle", r.Oracle);
                    w.WriteStartObject("error");
                    foreach (var g in Gradients.All)
                    {
                        w.WritePropertyName(Gradients.NameOf(g));
                        JsonFile.Number(w, r.Of(g) is null ? double.NaN : r.MaxError(g));
                    }
                    w.WriteEndObject();
                    if (!r.Pass) w.WriteString("failure", r.Summary());
                    if (emitGradients)
                    {
                        w.WriteStartObject("gradients");
                        w.WritePropertyName("dx");
                        Batch(w, cases[c].Problem, r.Actual.Dx);
                        w.WriteStartArray("dgamma");
                        foreach (double v in r.Actual.Dgamma) JsonFile.Number(w, v);
                        w.WriteEndArray();
                        w.WriteStartArray("dbeta");
                        foreach (double v in r.Actual.Dbeta) JsonFile.Number(w, v);
                        w.WriteEndArray();
                        w.WriteEndObject();
                    }
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });

    /// <summary>A batch-shaped gradient (canonical values) as the case holds its batches: N×D rows, or 4-D lists in the case's layout.</summary>
    private static void Batch(Utf8JsonWriter w, BatchNormProblem p, double[] canonical)
    {
        if (!p.IsSpatial)
        {
            w.WriteStartArray();
            for (int row = 0; row < p.N; row++)
            {
                w.WriteStartArray();
                foreach (double v in canonical.AsSpan(row * p.D, p.D)) JsonFile.Number(w, v);
                w.WriteEndArray();
            }
            w.WriteEndArray();
            return;
        }
        var s = p.Shape;
        var values = Layouts.FromCanonical<double>(canonical, s, p.Layout);
        int[] dims = p.Layout == Layout.NCHW ? [s.N, s.C, s.H, s.W] : [s.N, s.H, s.W, s.C];
        int k = 0;
        void Level(int level)
        {
            w.WriteStartArray();
            for (int i = 0; i < dims[level]; i++)
            {
                if (level == dims.Length - 1) JsonFile.Number(w, values[k++]);
                else Level(level + 1);
            }
            w.WriteEndArray();
        }
        Level(0);
    }
}
