using System.Text.Json.Nodes;
using Xunit;

namespace BnVerify.Verify;

/// <summary>
/// Every bad input gets exactly one line on stderr naming the file (and element) and the problem, exit code 2,
/// and no results file: not created, and an existing one left untouched.
/// </summary>
public sealed class CliBadInputTests(CliFixture fixture) : IClassFixture<CliFixture>
{
    /// <summary>A golden case changed by <paramref name="edit"/>.</summary>
    private static string Edited(Action<JsonObject> edit)
    {
        var json = CliFixture.Golden();
        edit(json);
        return CliFixture.Json(json);
    }

    /// <summary>Bad case-file contents, each with the text its error line must contain (after the file name).</summary>
    public static TheoryData<string, string, string> BadCaseFiles => new()
    {
        { "not-json", "{\"format\": \"bnverify-case/1\", ", "is not JSON" },
        { "not-json-text", "hello", "is not JSON" },
        { "top-level-array", "[1, 2]", "top level must be a JSON object" },
        { "wrong-format-tag", Edited(j => j["format"] = "bnverify-case/2"), "format: is 'bnverify-case/2', expected 'bnverify-case/1'" },
        { "missing-format", Edited(j => j.Remove("format")), "format: missing key" },
        { "missing-x", Edited(j => j.Remove("x")), "x: missing key" },
        { "missing-dout", Edited(j => j.Remove("dout")), "dout: missing key" },
        { "missing-eps", Edited(j => j.Remove("eps")), "eps: missing key" },
        { "missing-expected-dbeta", Edited(j => j["expected"]!.AsObject().Remove("dbeta")), "expected.dbeta: missing key" },
        { "ragged-x", Edited(j => j["x"]![2]!.AsArray().RemoveAt(0)), "x[2]: is ragged: 3 values where row 0 has 4" },
        { "ragged-dout", Edited(j => j["dout"]![1]!.AsArray().Add(1.0)), "dout[1]: has 5 values but x has D = 4 columns" },
        { "dout-rows-disagree", Edited(j => j["dout"]!.AsArray().RemoveAt(0)), "dout: has 2 rows but x has N = 3" },
        { "gamma-length-disagrees", Edited(j => j["gamma"]!.AsArray().RemoveAt(0)), "gamma: has 3 values but x has D = 4 columns" },
        { "beta-length-disagrees", Edited(j => j["beta"]!.AsArray().Add(0.5)), "beta: has 5 values but x has D = 4 columns" },
        { "expected-dx-disagrees", Edited(j => j["expected"]!["dx"]!.AsArray().RemoveAt(0)), "expected.dx: has 2 rows but x has N = 3" },
        { "name-not-string", Edited(j => j["name"] = 5), "name: must be a string" },
        { "x-not-array", Edited(j => j["x"] = 5), "x: must be an array of rows" },
        { "x-row-not-array", Edited(j => j["x"]![0] = 1.5), "x[0]: must be an array of numbers" },
        { "gamma-not-array", Edited(j => j["gamma"] = 1), "gamma: must be an array of numbers" },
        { "expected-not-object", Edited(j => j["expected"] = new JsonArray(1)), "expected: must be an object" },
        { "n-zero", Edited(j => { j["x"] = new JsonArray(); j["dout"] = new JsonArray(); }), "x: has no rows (N = 0)" },
        { "d-zero", Edited(j => { j["x"] = new JsonArray(new JsonArray(), new JsonArray()); }), "x[0]: is empty (D = 0)" },
        { "gamma-empty", Edited(j => j["gamma"] = new JsonArray()), "gamma: is empty (D = 0)" },
        { "nan-string", Edited(j => j["x"]![1]![2] = "NaN"), "x[1][2]: must be a number, found string" },
        { "nan-dout", Edited(j => j["dout"]![0]![0] = "NaN"), "dout[0][0]: must be a number" },
        { "infinite-x", Edited(j => j["x"]![1]![2] = 7777777.5).Replace("7777777.5", "1e999"), "x[1][2]: is 1e999, not a finite number" },
        { "infinite-gamma", Edited(j => j["gamma"]![3] = 7777777.5).Replace("7777777.5", "-1e400"), "gamma[3]: is -1e400, not a finite number" },
        { "infinite-eps", Edited(j => j["eps"] = 7777777.5).Replace("7777777.5", "1e999"), "eps: is 1e999, not a finite number" },
        { "eps-zero", Edited(j => j["eps"] = 0), "eps: is 0; must be > 0" },
        { "eps-negative", Edited(j => j["eps"] = -1e-5), "eps: is -1E-05; must be > 0" },
        { "eps-string", Edited(j => j["eps"] = "1e-5"), "eps: must be a number, found string" },
        { "unknown-layout", Edited(j => j["layout"] = "NCWH"), "layout: is 'NCWH'; known layouts are \"NCHW\" and \"NHWC\"" },
        { "layout-but-2d-lists", Edited(j => j["layout"] = "NCHW"), "x[0][0]: must be an array (a \"layout\" case nests 4 levels of lists)" },
        { "layout-lowercase", Edited(j => j["layout"] = "nhwc"), "layout: is 'nhwc'; known layouts are \"NCHW\" and \"NHWC\"" },
        { "unknown-key", Edited(j => j["comment"] = "hand-made"), "comment: unknown key; a bnverify-case/1 file has only format, name, source, eps, layout, x, gamma, beta, dout, expected" },
        { "misspelt-key", Edited(j => { j["gama"] = j["gamma"]!.DeepClone(); j.Remove("gamma"); }), "gama: unknown key" },
        { "unknown-expected-key", Edited(j => j["expected"]!["ddx"] = j["expected"]!["dx"]!.DeepClone()), "expected.ddx: unknown key; a bnverify-case/1 'expected' object has only out, dx, dgamma, dbeta" },
    };

    [Theory]
    [MemberData(nameof(BadCaseFiles))]
    public void A_bad_case_file_is_one_error_line_exit_2_and_no_results_file(string name, string content, string problem)
    {
        string folder = fixture.NewFolder();
        string file = Path.Combine(folder, name + ".json");
        File.WriteAllText(file, content);
        AssertBadInput(fixture.NewFolder(), [file], $"{file}: {problem}");
    }

    [Fact]
    public void A_bad_file_among_good_ones_in_a_folder_stops_everything()
    {
        string folder = fixture.NewFolder();
        foreach (var golden in Directory.GetFiles(CliFixture.GoldenFolder, "*.json")) File.Copy(golden, Path.Combine(folder, Path.GetFileName(golden)));
        string bad = Path.Combine(folder, "zz-bad.json");
        File.WriteAllText(bad, Edited(j => j["eps"] = 0));
        AssertBadInput(fixture.NewFolder(), [folder], $"{bad}: eps: is 0; must be > 0");
    }

    [Fact]
    public void A_path_that_does_not_exist_is_an_error()
    {
        string missing = Path.Combine(fixture.Folder, "no-such-case.json");
        AssertBadInput(fixture.NewFolder(), [missing], $"{missing}: no such file or folder");
    }

    [Fact]
    public void A_path_that_cannot_be_read_is_an_error()
    {
        string path;
        if (OperatingSystem.IsLinux())
        {
            // Exists but every read fails (address 0 is never mapped), even for root, who can read a file without permissions.
            path = "/proc/self/mem";
        }
        else
        {
            path = Path.Combine(fixture.NewFolder(), "locked.json");
            File.WriteAllText(path, "{}");
            if (OperatingSystem.IsWindows()) return; // no portable way to make a file unreadable for the owner
            File.SetUnixFileMode(path, UnixFileMode.None);
        }
        AssertBadInput(fixture.NewFolder(), [path], $"{path}: cannot be read");
    }

    [Fact]
    public void A_folder_with_no_case_files_is_an_error_not_a_silent_pass()
    {
        string empty = fixture.NewFolder();
        File.WriteAllText(Path.Combine(empty, "notes.txt"), "not a case");
        AssertBadInput(fixture.NewFolder(), [empty], $"{empty}: folder holds no *.json case files");
    }

    [Fact]
    public void Two_cases_with_the_same_name_are_an_error()
    {
        string folder = fixture.NewFolder();
        string a = Path.Combine(folder, "a.json"), b = Path.Combine(folder, "b.json");
        File.WriteAllText(a, CliFixture.Json(CliFixture.Golden()));
        File.WriteAllText(b, CliFixture.Json(CliFixture.Golden()));
        AssertBadInput(fixture.NewFolder(), [folder], $"{b}: name: 'normal-3x4' is also the name of {a}");
    }

    [Fact]
    public void A_results_file_in_a_missing_folder_is_an_error_before_any_work()
    {
        string output = Path.Combine(fixture.Folder, "no-such-folder", "out.json");
        var run = CliFixture.Run("cases", CliFixture.GoldenFolder, "--json", output);
        AssertOneErrorLine(run, "--json");
        Assert.Contains("does not exist", run.Stderr);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void Json_that_does_not_parse_says_where_in_the_users_words()
    {
        string file = Path.Combine(fixture.NewFolder(), "broken.json");
        File.WriteAllText(file, "{\n  \"format\": \"bnverify-case/1\",\n  oops\n}");
        var run = CliFixture.Run("cases", file);
        AssertOneErrorLine(run, $"{file}: is not JSON (line 3, character 3):");
        Assert.DoesNotContain("LineNumber", run.Stderr);
        Assert.DoesNotContain("BytePositionInLine", run.Stderr);
    }

    [Fact]
    public void Writing_a_baseline_into_a_missing_folder_is_an_error_before_any_work()
    {
        // The one rule for every file bnverify writes: the folder must exist (as for cases --json and check --json).
        string folder = Path.Combine(fixture.Folder, "no-such-folder");
        var run = CliFixture.Run("gate", "--update-baseline", "--baseline", Path.Combine(folder, "b.json"));
        AssertOneErrorLine(run, "--baseline ");
        Assert.Contains("does not exist", run.Stderr);
        Assert.Empty(run.Stdout);
        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public void A_results_file_that_is_a_folder_is_an_error()
    {
        string folder = fixture.NewFolder();
        var run = CliFixture.Run("cases", CliFixture.GoldenFolder, "--json", folder);
        AssertOneErrorLine(run, "is a folder");
    }

    public static TheoryData<string[], string> BadOptions => new()
    {
        { ["check", "--impl", "no-such-id"], "--impl: unknown implementation id 'no-such-id'; known ids: seed000-layer" },
        { ["check", "--impl", "seed002-alt,nope"], "unknown implementation id 'nope'" },
        { ["cases", "golden", "--impl", "no-such-id"], "--impl: unknown implementation id 'no-such-id'; known ids:" },
        { ["--impl", "no-such-id"], "--impl: unknown implementation id 'no-such-id'" },
        { ["check", "--cases", "0"], "--cases: 0 is out of range; must be 1..100000" },
        { ["check", "--cases", "100001"], "--cases: 100001 is out of range; must be 1..100000" },
        { ["check", "--cases", "-5"], "--cases: -5 is out of range" },
        { ["check", "--cases", "many"], "many" },
        { ["check", "--max-n", "0"], "--max-n: 0 is out of range; must be 1..4096" },
        { ["check", "--max-n", "4097"], "--max-n: 4097 is out of range; must be 1..4096" },
        { ["check", "--max-d", "0"], "--max-d: 0 is out of range; must be 1..1024" },
        { ["check", "--max-d", "1025"], "--max-d: 1025 is out of range; must be 1..1024" },
        { ["check", "--seed", "-1"], "--seed: -1 is out of range; must be 0..2147483647" },
        { ["check", "--seed", "99999999999"], "99999999999" },
        { ["--threads", "0"], "--threads: 0 is out of range" },
        { ["--type", "f16"], "f16" },
        { ["--shape", "3by4"], "--shape 3by4: is not a shape NxD or NxCxHxW" },
        { ["--shape", "0x4"], "--shape 0x4: N is 0; every extent must be at least 1" },
        { ["--shape", "2x3x4"], "--shape 2x3x4: has 3 extents; a shape is NxD (2) or NxCxHxW (4)" },
        { ["check", "--layout", "nchwx"], "nchwx" },
        { ["cases"], "cases: PATH is missing" },
        { ["frobnicate"], "frobnicate" },
        { ["check", "--no-such-option"], "--no-such-option" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void A_bad_option_is_one_error_line_and_exit_2(string[] args, string problem)
    {
        var run = CliFixture.Run(args);
        AssertOneErrorLine(run, problem);
        Assert.Empty(run.Stdout);
    }

    /// <summary>Runs <c>cases</c> on <paramref name="paths"/> with a results file in <paramref name="outputFolder"/> holding old content.</summary>
    private static void AssertBadInput(string outputFolder, string[] paths, string expected)
    {
        string output = Path.Combine(outputFolder, "out.json");
        string fresh = Path.Combine(outputFolder, "fresh.json");
        File.WriteAllText(output, "previous results");

        // An existing results file is left exactly as it was ...
        var run = CliFixture.Run(["cases", .. paths, "--json", output, "--emit-gradients"]);
        AssertOneErrorLine(run, expected);
        Assert.Empty(run.Stdout);
        Assert.Equal("previous results", File.ReadAllText(output));

        // ... and a new one is never created; no temporary file is left behind either.
        var again = CliFixture.Run(["cases", .. paths, "--json", fresh]);
        AssertOneErrorLine(again, expected);
        Assert.Equal(["out.json"], Directory.GetFiles(outputFolder).Select(Path.GetFileName));
    }

    private static void AssertOneErrorLine(CliRun run, string expected)
    {
        Assert.Equal(2, run.ExitCode);
        var line = Assert.Single(run.ErrorLines);
        Assert.StartsWith("bnverify: error: ", line);
        Assert.Contains(expected, line);
    }
}

/// <summary>Misspelt commands and ids get a suggestion; an empty --impl is an error, not "all".</summary>
public sealed class CliSuggestionTests
{
    [Theory]
    [InlineData("'chek' is not a command; did you mean 'check'?", "chek")]
    [InlineData("did you mean 'seed002-alt'?", "check", "--impl", "seed002-alr", "--cases", "1")]
    [InlineData("--impl: no implementation id given", "check", "--impl", "", "--cases", "1")]
    public void A_misspelt_command_or_id_gets_a_suggestion_and_an_empty_impl_is_an_error(string expected, params string[] args)
    {
        var run = CliFixture.Run(args);
        Assert.Equal(2, run.ExitCode);
        Assert.Single(run.ErrorLines);
        Assert.Contains(expected, run.Stderr);
        Assert.Equal("", run.Stdout);
    }
}

/// <summary>
/// Bad arguments to every command, in the user's words: exit 2, one line on stderr that names the option (or the word)
/// at fault, nothing on stdout, and never a .NET type name ("System.Int32", "Nullable`1").
/// </summary>
public sealed class CliArgumentTests
{
    /// <summary>Each command line, and what its message must name.</summary>
    public static TheoryData<string[], string> BadArguments => new()
    {
        // the benchmarks (no command)
        { ["--threads", "many"], "--threads: 'many' is not a whole number" },
        { ["--threads", "0"], "--threads: 0 is out of range" },
        { ["--type", "f16"], "--type: 'f16' is not one of f32, f64" },
        { ["--shape", "3by4"], "--shape" },
        { ["--shape"], "--shape: the value is missing" },
        { ["--quick", "please"], "'please'" },
        { ["--bogus"], "--bogus" },
        // list
        { ["list", "extra"], "'extra': bnverify list takes no such argument" },
        { ["list", "--assembly"], "--assembly: the value is missing" },
        { ["list", "--bogus"], "--bogus: bnverify list has no such option" },
        // check
        { ["check", "--cases", "many"], "--cases: 'many' is not a whole number; must be 1..100000" },
        { ["check", "--cases", "2.5"], "--cases: '2.5' is not a whole number" },
        { ["check", "--cases", "1", "--cases", "2"], "--cases" },
        { ["check", "--seed", "abc"], "--seed: 'abc' is not a whole number; must be 0..2147483647" },
        { ["check", "--seed", "99999999999"], "--seed: 99999999999 is out of range; must be 0..2147483647" },
        { ["check", "--max-n", "x"], "--max-n" },
        { ["check", "--max-hw", "-3"], "--max-hw: -3 is out of range" },
        { ["check", "--layout", "nchwx"], "--layout: 'nchwx' is not one of nd, nchw, nhwc; did you mean 'nchw'?" },
        { ["check", "--exec-timeout", "soon"], "--exec-timeout: 'soon' is not a number" },
        { ["check", "--exec-timeout", "0"], "--exec-timeout: 0 is out of range; must be 0.1..3600" },
        { ["check", "--impl"], "--impl: the value is missing" },
        { ["check", "--sed", "5"], "--sed: bnverify check has no such option; did you mean '--seed'?" },
        { ["check", "--json", ""], "--json: no file named" },
        { ["check", "--json", "no-such-folder/x.json"], "--json no-such-folder/x.json: folder" },
        // cases
        { ["cases"], "cases: PATH is missing" },
        { ["cases", "golden", "--exec-timeout", "x"], "--exec-timeout: 'x' is not a number" },
        { ["cases", "golden", "--json", "no-such-folder/x.json"], "--json no-such-folder/x.json: folder" },
        { ["cases", "golden", "--bogus"], "--bogus: bnverify cases has no such option" },
        { ["cases", "golden", "--emit-gradient"], "--emit-gradient: bnverify cases has no such option; did you mean '--emit-gradients'?" },
        // gate
        { ["gate", "--tolerance", "abc"], "--tolerance: 'abc' is not a number" },
        { ["gate", "--tolerance", "11"], "--tolerance: 11 is out of range" },
        { ["gate", "--rounds", "2.5"], "--rounds: '2.5' is not a whole number" },
        { ["gate", "--processes", "0"], "--processes: 0 is out of range" },
        { ["gate", "--seed", "x"], "--seed: 'x' is not a whole number" },
        { ["gate", "--update-baseline", "maybe"], "'maybe'" },
        { ["gate", "--update-baseline", "--baseline", "no-such-folder/b.json"], "--baseline no-such-folder/b.json: folder" },
    };

    [Theory]
    [MemberData(nameof(BadArguments))]
    public void A_bad_argument_is_one_line_in_the_users_words_and_exit_2(string[] args, string expected)
    {
        var run = CliFixture.Run(args);
        Assert.True(run.ExitCode == 2, $"exit {run.ExitCode}: {run.Stdout}{run.Stderr}");
        var line = Assert.Single(run.ErrorLines);
        Assert.StartsWith("bnverify: error: ", line);
        Assert.Contains(expected, line);
        Assert.Empty(run.Stdout);
        Assert.DoesNotContain("System.", run.Stderr);
        Assert.DoesNotContain("`1", run.Stderr);
        Assert.DoesNotContain("expected type", run.Stderr);
        Assert.False(Directory.Exists("no-such-folder"));
    }
}
