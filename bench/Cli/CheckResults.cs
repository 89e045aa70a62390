using System.Text.Json;
using BnVerify.Checking;
using BnVerify.Verification;

namespace BnVerify.Bench.Cli;

/// <summary>
/// The <c>bnverify-check/1</c> document that <c>check --json FILE</c> writes: the run (seed, cases, problem range) and
/// per implementation its declared and found verdicts, the worst error of each gradient with the element where it
/// occurred (case, expected, actual, bound), the counterexample as a <c>bnverify-case/1</c> object with why it fails,
/// the diagnosis, and the command that replays it. JSON has no NaN or infinity: a number that is not finite is
/// <c>null</c>, as in the results file of <c>cases</c>.
/// </summary>
internal static class CheckResults
{
    /// <summary>The format tag.</summary>
    public const string Format = "bnverify-check/1";

    /// <summary>The document for <paramref name="reports"/> of <paramref name="run"/>.</summary>
    public static byte[] Json(CheckRun run, IReadOnlyList<VerificationReport> reports) => JsonFile.Write(w =>
    {
        w.WriteStartObject();
        w.WriteString("format", Format);
        w.WriteBoolean("ok", reports.All(r => r.MatchesDeclared));
        w.WriteNumber("seed", run.Seed);
        w.WriteNumber("cases", run.Options.Source.Count(run.Cases)); // the scheduled shapes and the random cases
        w.WriteNumber("scheduled", run.Schedule.Shapes.Count);
        w.WriteNumber("random", run.Cases);
        w.WriteStartObject("problems");
        w.WriteString("layout", Layouts.Name(run.Range.Layout));
        w.WriteNumber("maxN", run.Range.MaxN);
        w.WriteNumber("maxD", run.Range.MaxD);
        if (run.Range.Layout != Layout.ND)
        {
            w.WriteNumber("maxH", run.Range.MaxH);
            w.WriteNumber("maxW", run.Range.MaxW);
        }
        w.WriteEndObject();
        w.WriteStartArray("implementations");
        foreach (var r in reports) Implementation(w, run, r);
        w.WriteEndArray();
        w.WriteEndObject();
    });

    private static void Implementation(Utf8JsonWriter w, CheckRun run, VerificationReport r)
    {
        w.WriteStartObject();
        w.WriteString("id", r.Id);
        w.WriteString("expected", ExternalPrograms.DeclaredText(r.Implementation)); // "unknown" for an external program
        w.WriteString("verdict", CheckCommand.VerdictText(r.Found));
        w.WriteString("match", ExternalPrograms.MatchText(r.Implementation, r.Found));
        w.WriteString("source", r.Implementation.Info.Source);
        w.WriteNumber("failed", r.Failed);
        w.WriteStartObject("worst");
        foreach (var g in Gradients.All)
        {
            w.WritePropertyName(Gradients.NameOf(g));
            Worst(w, run, r, g);
        }
        w.WriteEndObject();
        if (run.Counterexample(r) is { } example)
        {
            var first = r.FirstFailure!;
            w.WriteStartObject("counterexample");
            w.WriteNumber("case", first.Case.Index);
            w.WriteString("shape", first.Case.Problem.ShapeText);
            if (example.Unanswered) w.WriteNull("shrunkTo");
            else w.WriteString("shrunkTo", example.Problem.ShapeText);
            w.WriteString("failure", example.Failure);
            w.WritePropertyName("file");
            using (var doc = JsonDocument.Parse(example.CaseJson)) doc.RootElement.WriteTo(w);
            w.WriteEndObject();
        }
        else
        {
            w.WriteNull("counterexample");
        }
        if (r.Diagnosis is { } diagnosis) w.WriteString("diagnosis", diagnosis);
        else w.WriteNull("diagnosis");
        w.WriteStartObject("replay");
        w.WriteNumber("seed", run.Seed);
        if (r.FirstFailure is { } failing) w.WriteNumber("case", failing.Case.Index);
        else w.WriteNull("case");
        w.WriteString("command", run.ReplayCommand(r.Implementation));
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>
    /// The worst error of gradient <paramref name="g"/> over the cases and the element where it occurred: that case is
    /// checked again (checks are deterministic) for its element report. Null when the gradient was never compared
    /// element by element (only probed by directional derivatives).
    /// </summary>
    private static void Worst(Utf8JsonWriter w, CheckRun run, VerificationReport r, GradientName g)
    {
        CaseOutcome? worst = null;
        foreach (var c in r.Cases)
        {
            if (c.MaxErrors[(int)g] is not { } value) continue;
            double best = worst?.MaxErrors[(int)g] ?? double.NegativeInfinity;
            if (double.IsNaN(best)) break;
            if (worst is null || double.IsNaN(value) || value > best) worst = c;
        }
        if (worst is null)
        {
            w.WriteNullValue();
            return;
        }
        var result = worst.Result ?? GradientChecker.Check(r.Implementation, worst.Case.Problem, run.Options.Check);
        w.WriteStartObject();
        JsonFile.Number(w, "error", worst.MaxErrors[(int)g]!.Value);
        w.WriteNumber("case", worst.Case.Index);
        if (result.Error is { } error)
        {
            w.WriteString("failure", error);
        }
        else if (result.Of(g) is { } verdict)
        {
            var e = verdict.Worst;
            w.WriteBoolean("pass", verdict.Pass);
            w.WriteString("element", e.Where);
            JsonFile.Number(w, "expected", e.Expected);
            JsonFile.Number(w, "actual", e.Actual);
            if (Poison.Is(e.Actual)) w.WriteBoolean("written", false); // the implementation never wrote this element
            JsonFile.Number(w, "elementError", e.Error);
            JsonFile.Number(w, "bound", e.Bound);
            w.WriteString("oracle", result.Oracle);
        }
        w.WriteEndObject();
    }
}
