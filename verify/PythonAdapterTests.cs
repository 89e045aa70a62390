using BnVerify.Bench.Cli;
using BnVerify.Cases;
using BnVerify.Checking;
using BnVerify.Doctor;
using BnVerify.External;
using Xunit;
using static BnVerify.Verify.ExternalTestSupport;

namespace BnVerify.Verify;

/// <summary>
/// The Python adapter (<c>adapters/python/bnverify_adapter.py</c>) and the documents' own Python code
/// (<c>examples/python/</c>): each seed's code, run as written through the adapter, gets the same verdict on every
/// case, the same diagnosis and the same shrunk counterexample as its C# transcription; the adapter keeps the user's
/// prints out of the protocol and turns every way the user's code can fail into a clear error.
/// </summary>
public sealed class PythonAdapterTests
{
    /// <summary>Random cases per seed in the comparison (the command line's default range and case sequence).</summary>
    private const int Cases = 100;

    private const int Seed = 42;

    /// <summary>C# id, the example file and the adapter's options for it.</summary>
    public static TheoryData<string, string, string, string> Seeds => new()
    {
        { "seed001-staged", "seed001_staged.py", "batchnorm_forward", "batchnorm_backward" },
        { "seed002-alt", "seed002_alt.py", "batchnorm_forward", "batchnorm_backward_alt" },
        { "seed000-snippet", "seed000_snippet.py", "batchnorm_forward", "batchnorm_backward" },
    };

    private static ExternalBackward StartExample(string file, string forward, string backward, params string[] more) =>
        ExternalBackward.Start(Adapter([Example(file), "--forward", forward, "--backward", backward, .. more]));

    private static ExternalBackward StartUser(params string[] args) =>
        ExternalBackward.Start(Adapter([TestProgram("user_layers.py"), .. args]), Short);

    private static BatchNormProblem Case(int index) => ProblemGenerator.Generate(CheckCommand.CaseRandom(Seed, index));

    // ----------------------------------------------------------------- the documents' code against its C# transcription

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Each_seeds_python_code_gets_the_verdict_of_its_CSharp_transcription_on_every_case(string id, string file, string forward, string backward)
    {
        var csharp = Registry.Get(id);
        using var python = StartExample(file, forward, backward);
        int failed = 0;
        for (int c = 0; c < Cases; c++)
        {
            var results = GradientChecker.CheckAll([csharp, python], Case(c));
            Assert.True(results[0].Pass == results[1].Pass,
                $"case {c}: C# {(results[0].Pass ? "passes" : "fails")}, Python {(results[1].Pass ? "passes" : "fails")}: {results[1].Summary()} / {results[0].Summary()}");
            if (!results[1].Pass) failed++;
        }
        var expected = csharp.Info.Declared;
        Assert.Equal(expected, failed > 0 ? Verdict.Flawed : Verdict.Correct);
        Assert.Equal(Cases, python.Requests);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Each_seeds_python_code_gets_the_diagnosis_of_its_CSharp_transcription(string id, string file, string forward, string backward)
    {
        using var python = StartExample(file, forward, backward);
        var ofCsharp = DerivationDoctor.Diagnose(Registry.Get(id));
        var ofPython = DerivationDoctor.Diagnose(python);
        Assert.Equal(ofCsharp.KindsText(), ofPython.KindsText());
        Assert.Equal(ofCsharp.Summary(), ofPython.Summary());
    }

    [Theory]
    [InlineData("seed002-alt", "seed002_alt.py", "batchnorm_forward", "batchnorm_backward_alt")]
    [InlineData("seed000-snippet", "seed000_snippet.py", "batchnorm_forward", "batchnorm_backward")]
    public void Each_flawed_seeds_python_code_shrinks_to_the_counterexample_of_its_CSharp_transcription(string id, string file, string forward, string backward)
    {
        var csharp = Registry.Get(id);
        using var python = StartExample(file, forward, backward);
        var first = Enumerable.Range(0, Cases).Select(Case).First(p => !GradientChecker.Check(csharp, p).Pass);
        var ofCsharp = ProblemShrinker.Minimize(first, p => !GradientChecker.Check(csharp, p).Pass);
        long before = python.Requests;
        var ofPython = ProblemShrinker.Minimize(first, p => !GradientChecker.Check(python, p).Pass);
        Assert.True(python.Requests - before > 10, "each shrink step is a request");
        Assert.Equal(CaseWriter.ToJson("shrunk", "", ofCsharp), CaseWriter.ToJson("shrunk", "", ofPython));
        Assert.True(ofPython.N * ofPython.D <= 4, $"shrunk only to {ofPython.N}x{ofPython.D}");
    }

    [Fact]
    public void Seed002s_code_as_written_is_found_flawed_in_its_variance_path()
    {
        using var python = StartExample("seed002_alt.py", "batchnorm_forward", "batchnorm_backward_alt");
        var diagnosis = DerivationDoctor.Diagnose(python);
        Assert.True(diagnosis.Names(FindingKind.VarianceCoefficientUsesSumG, GradientName.Dx), diagnosis.KindsText());
        Assert.Equal(DxTerm.VariancePath, diagnosis.Of(GradientName.Dx).Findings.Single().Term);
        Assert.True(diagnosis.Of(GradientName.Dgamma).Clean && diagnosis.Of(GradientName.Dbeta).Clean, diagnosis.Summary());
    }

    [Fact]
    public void Seed001s_staged_code_is_found_correct()
    {
        using var python = StartExample("seed001_staged.py", "batchnorm_forward", "batchnorm_backward");
        Assert.Contains("batchnorm_forward(x, gamma, beta, eps)", python.Greeting.Source, StringComparison.Ordinal); // eps, not bn_param
        Assert.False(DerivationDoctor.Diagnose(python).FlawFound);
        for (int c = 0; c < 30; c++)
        {
            var result = GradientChecker.Check(python, Case(c));
            Assert.True(result.Pass, result.Summary());
        }
    }

    [Fact]
    public void Seed001s_staged_code_in_float32_numpy_is_found_correct_against_float32_allowances()
    {
        using var python = StartExample("seed001_staged.py", "batchnorm_forward", "batchnorm_backward", "--dtype", "float32");
        Assert.Equal(typeof(float), python.ElementType);
        for (int c = 0; c < 60; c++)
        {
            var result = GradientChecker.Check(python, Case(c));
            Assert.True(result.Pass, result.Summary());
        }
    }

    [Fact]
    public void The_readme_example_is_found_flawed_with_the_readme_diagnosis()
    {
        // README.md, "Check a Python backward": examples/python/my_layers.py divides the variance path by N - 1.
        using var python = StartExample("my_layers.py", "batchnorm_forward", "batchnorm_backward");
        var diagnosis = DerivationDoctor.Diagnose(python);
        Assert.Equal("dx:TermScaled", diagnosis.KindsText());
        Assert.Equal(DxTerm.VariancePath, diagnosis.Of(GradientName.Dx).Findings.Single().Term);
        Assert.Contains("the variance-path term is off by a factor of N/(N − 1)", diagnosis.Summary(), StringComparison.Ordinal);
    }

    // ----------------------------------------------------------------- the adapter

    [Fact]
    public void Prints_and_raw_writes_to_standard_output_in_user_code_never_reach_the_protocol()
    {
        using var program = StartUser("--forward", "noisy_forward", "--backward", "noisy_backward");
        Assert.Equal("user_layers.noisy_backward", program.Info.Id);
        for (int c = 0; c < 10; c++)
        {
            var result = GradientChecker.Check(program, Case(c));
            Assert.True(result.Pass, result.Summary()); // dgamma comes back as (1, D): accepted
        }
    }

    [Fact]
    public void A_plain_backward_is_called_with_x_gamma_beta_eps_dout()
    {
        using var program = StartUser("--backward-plain", "plain", "--name", "my-plain");
        Assert.Equal("my-plain", program.Info.Id);
        Assert.Contains("plain(x, gamma, beta, eps, dout)", program.Greeting.Source, StringComparison.Ordinal);
        for (int c = 0; c < 10; c++) Assert.True(GradientChecker.Check(program, Case(c)).Pass);
    }

    [Fact]
    public void Without_numpy_the_user_code_gets_lists_and_the_greeting_says_so()
    {
        // python3 -S skips site-packages, where Debian's python3-numpy lives.
        using var program = ExternalBackward.Start(
            [Python, "-S", AdapterPath, TestProgram("user_layers.py"), "--backward-plain", "numpy_is_absent"], Short);
        Assert.Contains("nested lists (numpy cannot be imported)", program.Greeting.Source, StringComparison.Ordinal);
        for (int c = 0; c < 5; c++) Assert.True(GradientChecker.Check(program, Case(c)).Pass);
    }

    [Fact]
    public void A_NaN_from_user_code_is_a_wrong_gradient()
    {
        using var program = StartUser("--backward-plain", "nan_dx");
        var result = GradientChecker.Check(program, Case(0));
        Assert.False(result.Pass);
        Assert.Contains(result.Actual.Dx, double.IsNaN);
    }

    [Theory]
    [InlineData("unfinished", "could not compute request 1 (N = 3, D = 2); it reported: the backward returned None for dgamma")]
    [InlineData("raises", "could not compute request 1 (N = 3, D = 2); it reported: ZeroDivisionError: division by zero; its standard error ends: ")]
    [InlineData("transposed", "it reported: dx has shape (2, 3); (3, 2) expected")]
    [InlineData("string_dx", "real numbers expected")]
    [InlineData("exits", "exited with code 5 during request 1 (N = 3, D = 2)")]
    public void User_code_that_fails_is_an_error_naming_the_request(string function, string expected)
    {
        using var program = StartUser("--backward-plain", function);
        var e = Assert.Throws<ExternalProgramException>(() => program.Run(ProblemGenerator.Generate(new Random(1), 3, 2)));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_traceback_of_user_code_shows_in_the_error()
    {
        using var program = StartUser("--backward-plain", "raises");
        var e = Assert.Throws<ExternalProgramException>(() => program.Run(Case(0)));
        Assert.Contains("return 1 / 0", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "--backward-plain", "nope" }, "user_layers.py has no function 'nope'; it defines: ")]
    [InlineData(new[] { "--backward", "plain" }, "error: give --forward and --backward (a cs231n pair), or --backward-plain")]
    [InlineData(new[] { "--forward", "noisy_forward", "--backward", "noisy_backward", "--backward-plain", "plain" }, "cannot be combined")]
    public void A_wrong_adapter_command_fails_before_the_greeting(string[] args, string expected)
    {
        string message = StartFails(Adapter([TestProgram("user_layers.py"), .. args]));
        Assert.Contains("before its greeting", message, StringComparison.Ordinal);
        Assert.Contains(expected, message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_user_file_fails_before_the_greeting()
    {
        string message = StartFails(Adapter(["/no/such/layers.py", "--backward-plain", "f"]));
        Assert.Contains("exited with code 1 before its greeting; its standard error ends: bnverify_adapter: no such file: /no/such/layers.py", message, StringComparison.Ordinal);
    }
}
