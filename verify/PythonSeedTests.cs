using BnVerify.Bench;
using BnVerify.Bench.Cli;
using BnVerify.Cases;
using BnVerify.Checking;
using BnVerify.Doctor;
using BnVerify.External;
using BnVerify.Verify.Support;
using Xunit;
using static BnVerify.Verify.ExternalTestSupport;

namespace BnVerify.Verify;

/// <summary>
/// The documents' own Python code (<c>examples/python/</c>) through the adapter: each seed's code, run as written, gets the
/// same verdict on every case, the same diagnosis and the same shrunk counterexample as its C# transcription.
/// </summary>
public sealed class PythonSeedTests
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

    // The property tests' source: the scheduled edge and boundary shapes without the 2048×1024 one (its 2 million values take
    // the Python adapter 8–20 s per request here; ExternalCliTests runs it through `check`'s defaults), then random ones.
    private static BatchNormProblem Case(int index) => Properties.Source().Case(Seed, index);

    // ----------------------------------------------------------------- the documents' code against its C# transcription

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Each_seeds_python_code_gets_the_verdict_of_its_CSharp_transcription_on_every_case(string id, string file, string forward, string backward)
    {
        var csharp = BuiltIn.Implementations.Get(id);
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
        var ofCsharp = DerivationDoctor.Diagnose(BuiltIn.Implementations.Get(id));
        var ofPython = DerivationDoctor.Diagnose(python);
        Assert.Equal(ofCsharp.KindsText(), ofPython.KindsText());
        Assert.Equal(ofCsharp.Summary(), ofPython.Summary());
    }

    [Theory]
    [InlineData("seed002-alt", "seed002_alt.py", "batchnorm_forward", "batchnorm_backward_alt")]
    [InlineData("seed000-snippet", "seed000_snippet.py", "batchnorm_forward", "batchnorm_backward")]
    public void Each_flawed_seeds_python_code_shrinks_to_the_counterexample_of_its_CSharp_transcription(string id, string file, string forward, string backward)
    {
        var csharp = BuiltIn.Implementations.Get(id);
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
        // N − 1 = 0 at N = 1 makes its variance path 0/0 there too: the doctor's special-values cases find that as well.
        var diagnosis = DerivationDoctor.Diagnose(python);
        Assert.Equal("dx:NonFinite, dx:TermScaled", diagnosis.KindsText());
        Assert.Equal(DxTerm.VariancePath, diagnosis.Of(GradientName.Dx).Findings.Single(f => f.Kind == FindingKind.TermScaled).Term);
        Assert.Contains("variance-path term is off by a factor of N/(N − 1)", diagnosis.Summary(), StringComparison.Ordinal);
    }
}
