using BnVerify.Verify.Support;
using BnVerify.Checking;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using BnVerify.Bench;
using BnVerify.Bench.Cli;
using BnVerify.Cases;
using Xunit;

namespace BnVerify.Verify;

/// <summary>
/// Output that fits: every command's tables and text follow the width they are given (a terminal of 80 or 200 columns,
/// or redirected output's fixed 120) and break lines only at spaces, so no id or number is ever split across lines.
/// </summary>
public sealed partial class CliOutputTests(CliFixture fixture) : IClassFixture<CliFixture>
{
    /// <summary>Flawed implementations (diagnoses, counterexamples, errors such as 1.17e+00) beside correct ones.</summary>
    private static readonly string[] FlawedCheck =
        ["check", "--impl", "seed002-alt,seed000-snippet,alt-simplified,mutant-dgamma-uses-x,spatial-reshape-no-transpose", "--cases", "20", "--seed", "5", "--no-schedule"];

    public static TheoryData<bool, int> Styles => new() { { true, 80 }, { true, 200 }, { false, OutputStyle.PlainWidth } };

    private static OutputStyle Style(bool terminal, int width) => terminal ? OutputStyle.ForTerminal(width) : OutputStyle.Plain;

    [Theory]
    [MemberData(nameof(Styles))]
    public void Check_fits_the_width_and_breaks_no_id_or_number(bool terminal, int width)
    {
        string json = Path.Combine(fixture.NewFolder(), "check.json");
        var run = CliFixture.Run(Style(terminal, width), [.. FlawedCheck, "--json", json]);
        Assert.True(run.ExitCode == 1, run.Stdout + run.Stderr); // the NCHW implementation on 2-D problems: a MISMATCH row
        var lines = Lines(run.Stdout);
        AssertFits(lines, width, run.Stdout);

        // Each implementation's row holds its id, failed count and worst dx whole, as the results file has them.
        var root = JsonNode.Parse(File.ReadAllText(json))!;
        var impls = root["implementations"]!.AsArray();
        Assert.Equal(5, impls.Count);
        foreach (var impl in impls)
        {
            string id = impl!["id"]!.GetValue<string>();
            string row = Assert.Single(lines, l => l.StartsWith(id + " ", StringComparison.Ordinal));
            var cells = row.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.Contains($"{impl["failed"]!.GetValue<int>()}/20", cells);
            Assert.Contains(ConsoleOutput.Number(impl["worst"]!["dx"]!["error"]!.GetValue<double>()), cells);
            // A diagnosis reads as it is when the line breaks are taken away: it was wrapped at spaces only.
            if (impl["diagnosis"] is JsonValue diagnosis)
                Assert.Contains(CliFixture.Normalized(diagnosis.GetValue<string>()), CliFixture.Normalized(run.Stdout));
        }
        Assert.Contains(lines, l => Regex.IsMatch(l, @"^seed002-alt .* \d\.\d\de\+00 "));

        // Nothing is broken inside a word: every word is a word of the same output on an unlimited terminal.
        AssertNoWordBroken(run.Stdout, CliFixture.Run(OutputStyle.ForTerminal(100_000), [.. FlawedCheck, "--json", json]).Stdout);
        // The counterexamples printed as case files stay valid JSON.
        Assert.Contains("\"name\": \"seed002-alt-seed5-case0-shrunk\"", run.Stdout);
    }

    [Fact]
    public void A_narrow_terminal_leaves_out_the_least_important_columns_and_says_so()
    {
        var run = CliFixture.Run(OutputStyle.ForTerminal(80), FlawedCheck);
        string header = Lines(run.Stdout).First(l => l.StartsWith("id ", StringComparison.Ordinal));
        Assert.DoesNotContain("declared", header);
        Assert.Contains("worst dx", header);
        Assert.Contains(Lines(run.Stdout), l => l.StartsWith("(not shown in 80 columns: declared", StringComparison.Ordinal));
        // The diagnosis goes under its row; at 200 columns it has a column of its own.
        Assert.Contains(Lines(run.Stdout), l => l.StartsWith("    diagnosis: dx: ", StringComparison.Ordinal));
        Assert.Contains("The variance-path coefficient uses Σdout", CliFixture.Normalized(run.Stdout));
        var wide = CliFixture.Run(OutputStyle.ForTerminal(200), FlawedCheck);
        Assert.Matches(@"(?m)^seed002-alt +flawed +flawed +20/20 .* ok +dx: ", string.Join('\n', Lines(wide.Stdout)));
        Assert.DoesNotContain("not shown", wide.Stdout);
    }

    /// <summary>The other commands' tables: list, cases (a few implementations, and every one as columns), and a spatial check.</summary>
    public static TheoryData<string[], bool, int> Commands
    {
        get
        {
            var data = new TheoryData<string[], bool, int>();
            string[][] commands =
            [
                ["list"],
                ["cases", CliFixture.GoldenFolder, "--impl", "seed002-alt", "seed000-snippet", "alt-simplified", "fused-simd-f32"],
                ["cases", CliFixture.GoldenFolder, .. Ids.GoldenImplArgs],
                ["check", "--impl", "seed002-alt", "--cases", "5", "--seed", "3"], // with the scheduled shapes and their long description
                ["check", "--layout", "nchw", "--impl", "spatial-stats-per-image,spatial-nchw-f32", "--cases", "5", "--seed", "3"],
            ];
            foreach (var command in commands)
                foreach (var (terminal, width) in new[] { (true, 80), (true, 200), (false, OutputStyle.PlainWidth) })
                    data.Add(command, terminal, width);
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void Every_commands_output_fits_and_breaks_no_word(string[] args, bool terminal, int width)
    {
        var run = CliFixture.Run(Style(terminal, width), args);
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        AssertFits(Lines(run.Stdout), width, run.Stdout);
        AssertNoWordBroken(run.Stdout, CliFixture.Run(OutputStyle.ForTerminal(100_000), args).Stdout);
    }

    [Fact]
    public void A_grid_too_wide_for_the_terminal_is_split_into_panels_that_repeat_the_case()
    {
        var run = CliFixture.Run(OutputStyle.ForTerminal(80), "cases", CliFixture.GoldenFolder);
        var lines = Lines(run.Stdout);
        // Every implementation is a column of some panel, and every panel has a row for every case.
        var headers = lines.Where(l => l.StartsWith("case ", StringComparison.Ordinal)).ToList();
        Assert.True(headers.Count > 1, run.Stdout);
        foreach (var impl in BuiltIn.Implementations.All.Where(i => i.Layout != Layout.NCHW))
            Assert.Contains(headers, h => h.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains(impl.Info.Id));
        Assert.Equal(headers.Count, lines.Count(l => l.StartsWith("normal-2x1 ", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData(20)]
    [InlineData(33)]
    [InlineData(80)]
    [InlineData(120)]
    public void The_layout_breaks_only_at_spaces_and_keeps_every_cell_whole(int width)
    {
        var random = new Random(width);
        string Word(int length) => new(Enumerable.Range(0, length).Select(_ => (char)('a' + random.Next(26))).ToArray());
        string Sentence() => string.Join(' ', Enumerable.Range(0, random.Next(0, 30)).Select(_ => Word(random.Next(1, 12))));
        var columns = new Column[]
        {
            new("id"), new("declared", Fit: Fit.Drop), new("worst dx", Align.Right), new("worst dbeta", Align.Right, Fit.Drop, 1),
            new("match"), new("diagnosis", Fit: Fit.Wrap),
        };
        var rows = Enumerable.Range(0, 12).Select(_ => (IReadOnlyList<string>)
        [
            $"{Word(random.Next(3, 12))}-{Word(random.Next(2, 8))}", "correct", ConsoleOutput.Number(random.NextDouble() * 1e4),
            ConsoleOutput.Number(random.NextDouble()), random.Next(2) == 0 ? "ok" : "MISMATCH", Sentence(),
        ]).ToList();
        var table = TextLayout.Table(columns, rows, width);
        var lines = table.Lines.Select(l => string.Concat(l.Select(s => s.Text))).ToList();
        foreach (var line in lines)
            Assert.True(line.Length <= width || !line.Trim().Contains(' '), $"{line.Length} > {width}: {line}");
        var words = lines.SelectMany(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToHashSet(StringComparer.Ordinal);
        var cellWords = rows.SelectMany(r => r.SelectMany(c => c.Split(' ', StringSplitOptions.RemoveEmptyEntries)))
            .Concat(columns.SelectMany(c => c.Header.Split(' ').SelectMany(w => new[] { w, w + ":" })));
        Assert.Empty(words.Where(w => w.Trim('-').Length > 0).Except(cellWords)); // no piece of a word
        foreach (var row in rows)
        {
            foreach (int k in new[] { 0, 2, 4 }) Assert.Contains(row[k], words); // kept columns: every cell whole
            Assert.Contains(CliFixture.Normalized(row[5]), CliFixture.Normalized(string.Join('\n', lines)));
        }
        Assert.Equal(["lorem", "ipsum", "dolor-sit-amet-consectetur", "x"], TextLayout.Wrap("lorem ipsum dolor-sit-amet-consectetur x", 6));
    }

    [Fact]
    public void Long_json_lines_break_after_a_comma_between_values_and_stay_valid()
    {
        string line = "  \"x\": [[1.2345678901234567, -2.5, 3, 4.75, 1E-05, 6, 7, 8, 9, 10, 11, 12]], \"name\": \"a, b, c, d, e, f\"";
        var parts = TextLayout.WrapJson(line, 30);
        Assert.All(parts.SkipLast(1), p => Assert.True(p.Length <= 30, p));
        Assert.Equal(CliFixture.Normalized(line), CliFixture.Normalized(string.Join('\n', parts)));
        Assert.Contains("\"a, b, c, d, e, f\"", parts[^1]); // never inside a string
        JsonNode.Parse("{" + string.Join('\n', parts) + "}");
    }

    private static List<string> Lines(string stdout) =>
        stdout.Split('\n').Select(l => Ansi().Replace(l, "")).ToList();

    private static void AssertFits(IEnumerable<string> lines, int width, string all)
    {
        foreach (var line in lines)
            Assert.True(line.Length <= width, $"a line of {line.Length} columns in {width}:\n{line}\n\n{all}");
    }

    /// <summary>Every word of <paramref name="narrow"/> is a word of <paramref name="wide"/> (the same output, nothing wrapped), so no word was split.</summary>
    private static void AssertNoWordBroken(string narrow, string wide)
    {
        static IEnumerable<string> Words(string text) => Lines(text)
            .Where(l => !l.StartsWith("(not shown in ", StringComparison.Ordinal))
            .SelectMany(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(w => w.Trim('-').Length > 0); // the rules under the headers
        var known = Words(wide).ToHashSet(StringComparer.Ordinal);
        known.Add("diagnosis:");
        known.Add("source:");
        var broken = Words(narrow).Where(w => !known.Contains(w)).Distinct().ToList();
        Assert.True(broken.Count == 0, $"words broken across lines: {string.Join(", ", broken.Take(10))}\n\n{narrow}");
    }

    [GeneratedRegex("\u001b\\[[0-9;]*m")]
    private static partial Regex Ansi();
}

/// <summary><c>check --json FILE</c>: the results as a document, under the same file rules as <c>cases --json</c>.</summary>
public sealed class CliCheckJsonTests(CliFixture fixture) : IClassFixture<CliFixture>
{
    [Fact]
    public void Check_json_holds_verdicts_worst_elements_the_counterexample_the_diagnosis_and_the_replay()
    {
        string folder = fixture.NewFolder();
        string json = Path.Combine(folder, "check.json");
        var run = CliFixture.Run("check", "--impl", "seed002-alt,alt-simplified", "--cases", "10", "--seed", "3", "--json", json);
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        Assert.Contains($"results: {json}", run.Stdout);
        Assert.Equal(["check.json"], Directory.GetFiles(folder).Select(Path.GetFileName)); // no temporary file left behind

        var root = JsonNode.Parse(File.ReadAllText(json))!;
        Assert.Equal("bnverify-check/1", root["format"]!.GetValue<string>());
        Assert.True(root["ok"]!.GetValue<bool>());
        Assert.Equal(3, root["seed"]!.GetValue<int>());
        Assert.Equal(ShapeSchedule.Default.Shapes.Count + 10, root["cases"]!.GetValue<int>()); // the scheduled shapes, then 10 random
        Assert.Equal(ShapeSchedule.Default.Shapes.Count, root["scheduled"]!.GetValue<int>());
        Assert.Equal(10, root["random"]!.GetValue<int>());
        Assert.Equal("ND", root["problems"]!["layout"]!.GetValue<string>());
        var impls = root["implementations"]!.AsArray();
        Assert.Equal(["seed002-alt", "alt-simplified"], impls.Select(i => i!["id"]!.GetValue<string>()));

        var flawed = impls[0]!;
        Assert.Equal("flawed", flawed["expected"]!.GetValue<string>());
        Assert.Equal("flawed", flawed["verdict"]!.GetValue<string>());
        Assert.Equal("ok", flawed["match"]!.GetValue<string>());
        var dx = flawed["worst"]!["dx"]!;
        Assert.Matches(@"^dx\[\d+\]\[\d+\]$", dx["element"]!.GetValue<string>());
        Assert.False(dx["pass"]!.GetValue<bool>());
        Assert.True(dx["error"]!.GetValue<double>() > dx["bound"]!.GetValue<double>());
        Assert.NotEqual(dx["expected"]!.GetValue<double>(), dx["actual"]!.GetValue<double>());
        Assert.InRange(dx["case"]!.GetValue<int>(), 0, ShapeSchedule.Default.Shapes.Count + 9);
        Assert.Contains("variance-path", flawed["diagnosis"]!.GetValue<string>());

        // The counterexample is a case file: saved as it is, it loads, and fails seed002-alt through `cases`.
        var counterexample = flawed["counterexample"]!;
        Assert.Contains("dx fails", counterexample["failure"]!.GetValue<string>());
        string file = Path.Combine(fixture.NewFolder(), "counterexample.json");
        File.WriteAllText(file, counterexample["file"]!.ToJsonString());
        var loaded = CaseFile.Load(file);
        Assert.Equal(counterexample["shrunkTo"]!.GetValue<string>(), loaded.Problem.ShapeText);
        Assert.Contains("FAIL", CliFixture.Run("cases", file, "--impl", "seed002-alt").Stdout);

        // The replay command checks it again with the same result.
        string replay = flawed["replay"]!["command"]!.GetValue<string>();
        Assert.StartsWith("bnverify check --impl seed002-alt --seed 3 --cases 10", replay);
        var again = CliFixture.Run(replay.Split(' ')[1..]);
        Assert.Matches($@"(?m)^seed002-alt .* {flawed["failed"]!.GetValue<int>()}/{ShapeSchedule.Default.Shapes.Count + 10} ", again.Stdout);

        var correct = impls[1]!;
        Assert.Equal("correct", correct["verdict"]!.GetValue<string>());
        Assert.Null(correct["counterexample"]);
        Assert.Null(correct["diagnosis"]);
        Assert.True(correct["worst"]!["dx"]!["pass"]!.GetValue<bool>());
    }

    [Theory]
    [InlineData("no-such-folder/out.json", "does not exist")]
    [InlineData("", "is a folder")]
    public void Check_json_to_a_missing_folder_or_a_folder_is_one_line_exit_2_and_nothing_written(string relative, string problem)
    {
        string folder = fixture.NewFolder();
        string target = relative.Length == 0 ? folder : Path.Combine(folder, relative);
        var run = CliFixture.Run("check", "--impl", "seed002-alt", "--cases", "5", "--json", target);
        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("bnverify: error: --json ", Assert.Single(run.ErrorLines));
        Assert.Contains(problem, run.Stderr);
        Assert.Empty(run.Stdout); // before any work
        Assert.Empty(Directory.GetFileSystemEntries(folder));
    }
}
