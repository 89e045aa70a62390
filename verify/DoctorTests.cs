using BnVerify.Verification;
using BnVerify.Bench;
using BnVerify.Checking;
using BnVerify.Doctor;
using BnVerify.Verify.Support;
using Xunit;
using Xunit.Abstractions;

namespace BnVerify.Verify;

/// <summary>
/// The derivation doctor (issue 6): each documented flawed version gets the diagnosis that matches what is actually
/// wrong with it, correct implementations get "no flaw found", the diagnosis comes from the measured error only,
/// and the step study tells a formula error from finite-difference truncation and rounding.
/// </summary>
public sealed class DoctorTests(ITestOutputHelper output)
{
    [Fact]
    public void Seed002_alt_variance_coefficient_uses_sum_of_dout()
    {
        var d = Diagnose("seed002-alt");
        Assert.True(d.Names(FindingKind.VarianceCoefficientUsesSumG, GradientName.Dx), d.Summary());
        Assert.Single(d.Of(GradientName.Dx).Findings);
        Assert.Contains("uses Σdout where Σ(dout·xhat) belongs", d.Of(GradientName.Dx).Sentence);
        Assert.True(d.Of(GradientName.Dgamma).Clean && d.Of(GradientName.Dbeta).Clean, d.Summary());
        // The fitted coefficients say the same: direct and mean path exact, variance path = −mean(g).
        Assert.All(d.DxFit, f =>
        {
            Assert.Equal(1, f.Direct, 9);
            Assert.Equal(f.ExactMeanPath, f.MeanPath, 9);
            Assert.Equal(f.ExactMeanPath, f.VariancePath, 9);
            Assert.True(f.Residual < 1e-9);
        });
    }

    [Fact]
    public void Seed000_snippet_eps_is_not_the_forwards()
    {
        var d = Diagnose("seed000-snippet");
        Assert.True(d.Names(FindingKind.EpsMismatch, GradientName.Dx), d.Summary());
        Assert.Contains("eps is not the forward's", d.Of(GradientName.Dx).Sentence);
        Assert.Contains("eps = 1E-08", d.Of(GradientName.Dx).Sentence); // the eps it behaves as if using is measured
        Assert.True(d.Of(GradientName.Dgamma).Clean && d.Of(GradientName.Dbeta).Clean, d.Summary());
    }

    [Fact]
    public void Seed001_chain_rule_drops_cross_sample_terms_and_scales_the_direct_term()
    {
        var d = Diagnose("seed001-chain-rule");
        Assert.True(d.Names(FindingKind.CrossSampleTermsMissing, GradientName.Dx), d.Summary());
        Assert.Contains("(1 − 1/N)", d.Of(GradientName.Dx).Sentence);
        Assert.Contains("Jacobian was treated as diagonal", d.Of(GradientName.Dx).Sentence);
        // In the span of the three terms: direct 1 − 1/N, mean and variance paths 0.
        Assert.All(d.DxFit, f =>
        {
            Assert.Equal(1 - 1.0 / f.N, f.Direct, 9);
            Assert.Equal(0, f.MeanPath, 9);
            Assert.Equal(0, f.VariancePath, 9);
        });
        Assert.True(d.Of(GradientName.Dgamma).Clean && d.Of(GradientName.Dbeta).Clean, d.Summary());
    }

    [Fact]
    public void Seed003_derivation_is_not_of_this_form_and_drops_cross_sample_terms()
    {
        var d = Diagnose("seed003-derivation");
        Assert.True(d.Names(FindingKind.NotOfThisForm, GradientName.Dx), d.Summary());
        Assert.True(d.Names(FindingKind.CrossSampleTermsMissing, GradientName.Dx), d.Summary());
        Assert.Contains("per-element factor is wrong", d.Of(GradientName.Dx).Sentence);
        Assert.Contains(d.DxFit, f => f.Residual > 1e-3);
        Assert.True(d.Of(GradientName.Dgamma).Clean && d.Of(GradientName.Dbeta).Clean, d.Summary());
    }

    [Theory]
    [MemberData(nameof(Ids.Correct), MemberType = typeof(Ids))]
    public void Correct_implementation_has_no_flaw(string id)
    {
        foreach (int seed in new[] { DerivationDoctor.DefaultSeed, 1, 2 })
        {
            var d = DerivationDoctor.Diagnose(BuiltIn.Implementations.Get(id), seed);
            Assert.False(d.FlawFound, $"{id}, seed {seed}: {d.Summary()}");
        }
    }

    [Theory]
    [MemberData(nameof(Ids.Flawed), MemberType = typeof(Ids))]
    public void Every_flawed_implementation_gets_a_diagnosis(string id)
    {
        var impl = BuiltIn.Implementations.Get(id);
        string text = DerivationDoctor.Describe(impl);
        output.WriteLine(text);
        var d = DerivationDoctor.Diagnose(impl);
        Assert.True(d.FlawFound, $"{id} is declared flawed but the doctor found nothing");
        Assert.DoesNotContain("NoFlawFound", d.KindsText());
    }

    [Theory]
    [InlineData("seed002-alt", FindingKind.VarianceCoefficientUsesSumG)]
    [InlineData("seed000-snippet", FindingKind.EpsMismatch)]
    [InlineData("seed001-chain-rule", FindingKind.CrossSampleTermsMissing)]
    [InlineData("seed003-derivation", FindingKind.NotOfThisForm)]
    public void Diagnosis_is_stable_across_seeds(string id, FindingKind kind)
    {
        for (int seed = 1; seed <= 5; seed++)
            Assert.True(DerivationDoctor.Diagnose(BuiltIn.Implementations.Get(id), seed).Names(kind, GradientName.Dx), $"{id}, seed {seed}");
    }

    [Fact]
    public void Diagnosis_never_reads_the_declared_verdict_or_reason()
    {
        // The same code under a false declaration gets the same diagnosis; a correct one declared flawed gets none.
        var liar = new Relabelled(BuiltIn.Implementations.Get("seed002-alt"), BackwardInfo.Correct("liar", "test", Family.Reference));
        var honest = DerivationDoctor.Diagnose(BuiltIn.Implementations.Get("seed002-alt"));
        var relabelled = DerivationDoctor.Diagnose(liar);
        Assert.Equal(honest.KindsText(), relabelled.KindsText());
        Assert.Equal(honest.Summary(), relabelled.Summary());

        var slandered = new Relabelled(BuiltIn.Implementations.Get("alt-simplified"),
            BackwardInfo.Flawed("slandered", "test", "the mean-path term is missing", Family.Mutant));
        Assert.False(DerivationDoctor.Diagnose(slandered).FlawFound);
    }

    [Fact]
    public void Failing_check_is_explained_with_the_diagnosis_and_a_step_study()
    {
        var impl = BuiltIn.Implementations.Get("seed002-alt");
        var failing = MutationScore.ProblemSet().Select(p => GradientChecker.Check(impl, p)).First(r => !r.Pass);
        string message = DerivationDoctor.ExplainFailure(failing, impl);
        output.WriteLine(message);
        Assert.Contains("uses Σdout where Σ(dout·xhat) belongs", message);
        Assert.Contains("(formula)", message);
        var reference = BuiltIn.Implementations.Get("alt-simplified");
        Assert.Equal("pass", DerivationDoctor.ExplainFailure(GradientChecker.Check(reference, failing.Problem), reference));
    }

    [Fact]
    public void Step_study_calls_a_planted_formula_error_formula()
    {
        var p = DoctorProblems.Make(1, 0);
        foreach (var id in new[] { "seed002-alt", "seed000-snippet", "seed001-chain-rule", "seed003-derivation" })
        {
            var study = StepStudy.Measure(BuiltIn.Implementations.Get(id), p, GradientName.Dx, 3);
            output.WriteLine($"{id}: {study.Sentence}");
            Assert.Equal(MismatchSource.Formula, study.Source);
        }
        var dbeta = StepStudy.Measure(BuiltIn.Implementations.Get("mutant-dbeta-scaled"), p, GradientName.Dbeta, 0);
        Assert.Equal(MismatchSource.Formula, dbeta.Source);
    }

    [Fact]
    public void Step_study_calls_a_correct_gradients_noise_truncation_or_rounding()
    {
        var p = DoctorProblems.Make(1, 0);
        var impl = BuiltIn.Implementations.Get("alt-simplified");
        var model = ErrorModel.For(p);
        for (int index = 0; index < 4; index++)
        {
            double spread = 1 / model.InvStd[index % p.D];
            // A large step: the Taylor remainder dominates and falls ~16× over two halvings.
            var large = StepStudy.Measure(impl, p, GradientName.Dx, index, 0.2 * spread);
            // A tiny step: rounding in L, ~u·|L|/h, dominates and grows as h shrinks.
            var tiny = StepStudy.Measure(impl, p, GradientName.Dx, index, 1e-8 * spread);
            output.WriteLine(large.Sentence);
            output.WriteLine(tiny.Sentence);
            Assert.Equal(MismatchSource.Truncation, large.Source);
            Assert.Equal(MismatchSource.Rounding, tiny.Source);
            Assert.True(Math.Abs(large.Mismatch[2]) < Math.Abs(large.Mismatch[0]) / 8);
        }
        // At the oracle's own step the correct gradient's mismatch is noise, never "formula".
        Assert.NotEqual(MismatchSource.Formula, StepStudy.Measure(impl, p, GradientName.Dx, 3).Source);
    }

    [Theory]
    [InlineData("mutant-dx-scale-1e-7", FindingKind.WrongScale, "off by a constant factor of 1 + 1.0e-7")]
    [InlineData("mutant-abs-gamma", FindingKind.GammaSign, "|gamma| is used where gamma belongs")]
    [InlineData("mutant-abs-gamma", FindingKind.Localized, "only in columns where gamma < 0 (confirmed by re-runs")]
    [InlineData("mutant-nan-gamma-zero", FindingKind.NonFinite, "exactly the columns where gamma = 0")]
    [InlineData("mutant-one-sample-direct", FindingKind.Localized, "only at N = 1")]
    [InlineData("mutant-block64-tail", FindingKind.Localized, "at every N > 64 that is not a multiple of 64")]
    [InlineData("mutant-block64-tail", FindingKind.Localized, "only the rows past the last multiple of 64")]
    [InlineData("mutant-column-tile32", FindingKind.Localized, "only columns ≥ 32")]
    [InlineData("mutant-column-tile32", FindingKind.BorrowedSums, "of column j mod 32")]
    [InlineData("mutant-vector-tail8", FindingKind.Localized, "only the columns past the last multiple of 8")]
    [InlineData("mutant-vector-tail8", FindingKind.VarianceTermMissing, "in the columns that fail, the variance-path term")]
    [InlineData("mutant-variance-moments-f64", FindingKind.VarianceCancellation, "grows like the square of the column's offset")]
    [InlineData("mutant-f32-accumulator", FindingKind.Precision, "grows with N")]
    public void Facts_come_first_and_a_cause_is_named_only_when_it_explains_the_error(string id, FindingKind kind, string words)
    {
        // Without a failing case: the doctor's own cases, its special-values case and its shape sweeps find it.
        var d = Diagnose(id);
        Assert.True(d.Findings.Any(f => f.Kind == kind && f.Sentence.Contains(words, StringComparison.Ordinal)), d.Summary());
        // A named cause states the share of the error it explains; none is named for a cause that does not.
        foreach (var f in d.Findings.Where(f => f.Kind is not (FindingKind.NoFlawFound or FindingKind.Localized or FindingKind.NonFinite or FindingKind.Unexplained
                                                     or FindingKind.NotOfThisForm or FindingKind.Precision or FindingKind.VarianceCancellation or FindingKind.WrongAxis or FindingKind.CrossSampleTermsMissing)))
            Assert.Matches(@"explains (100|99\.\d\d)% of the error", f.Sentence);
    }

    [Fact]
    public void A_failing_check_is_located_on_its_own_problem()
    {
        // NaN where gamma = 0: the failing case is handed to the doctor, which says where and confirms it by a re-run.
        var impl = BuiltIn.Implementations.Get("mutant-nan-gamma-zero");
        var p = ProblemGenerator.Generate(new Random(5), 6, 5);
        p = new BatchNormProblem(p.N, p.D, p.X, [0.0, 1.5, -2.0, 0.0, 0.7], p.Beta, p.Eps, p.Dout);
        var failing = GradientChecker.Check(impl, p);
        Assert.False(failing.Pass);
        string sentence = DerivationDoctor.Sentence(impl, failing);
        output.WriteLine(sentence);
        Assert.Contains("columns 0, 3, exactly the columns where gamma = 0", sentence);
        Assert.Contains("confirmed by re-runs", sentence);
    }

    [Fact]
    public void Noise_gets_the_facts_and_no_named_cause()
    {
        // An error no cause explains (a pseudo-random 1e-6 of the scale in each element): the doctor must not name a term.
        var noisy = new Noisy();
        var d = DerivationDoctor.Diagnose(noisy);
        output.WriteLine(d.Summary());
        Assert.True(d.FlawFound);
        Assert.All(d.Findings.Where(f => f.Kind != FindingKind.NoFlawFound), f =>
            Assert.Contains(f.Kind, new[] { FindingKind.Unexplained, FindingKind.NotOfThisForm, FindingKind.Localized }));
        Assert.Contains("cause not identified", d.Of(GradientName.Dx).Sentence, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData(1 + 1e-7, "1 + 1.0e-7")]
    [InlineData(1 - 3.2e-10, "1 − 3.2e-10")]
    [InlineData(-1 - 2e-6, "−(1 + 2.0e-6)")]
    [InlineData(1, "1")]
    [InlineData(-1, "−1")]
    [InlineData(0.5, "0.5")]
    public void Factors_are_printed_with_the_digits_that_show_them(double k, string expected) => Assert.Equal(expected, Num.Factor(k));

    [Fact]
    public void Coefficients_are_printed_with_the_digits_that_differ()
    {
        Assert.Equal("-1.5871 (exact -1.587, off by -1.0e-4)", Num.Versus(-1.5871, -1.587));
        Assert.StartsWith("-1.5870001 (exact -1.587,", Num.Versus(-1.5870001, -1.587));
    }

    [Fact]
    public void Size_patterns_name_edges_boundaries_and_tails()
    {
        int[] sizes = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129];
        (string Text, bool Informative) Of(Func<int, bool> fails) => Patterns.Sizes("N", sizes.Select(n => (n, fails(n))).ToList());
        Assert.Equal((true, true), (Of(n => n == 1).Text.Contains("only at N = 1"), Of(n => n == 1).Informative));
        Assert.Contains("not a multiple of 64", Of(n => n > 64 && n % 64 != 0).Text);
        Assert.Contains("at every N ≥ 33", Of(n => n >= 33).Text);
        Assert.False(Of(n => n >= 2).Informative); // every N past the degenerate N = 1: not a locality
        Assert.False(Of(_ => true).Informative);
        var tail = Patterns.Indices("columns", [(9, [false, false, false, false, false, false, false, false, true]), (17, [.. Enumerable.Repeat(false, 16), true])]);
        Assert.NotNull(tail);
        Assert.Contains("past the last multiple of 8", tail.Value.Text);
    }

    /// <summary>The correct closed form plus a deterministic pseudo-random 1e-6 of the natural unit in every element of dx.</summary>
    private sealed class Noisy() : BatchNormBackward<double>(BackwardInfo.Flawed("noisy", "test", "noise in dx", Family.Mutant))
    {
        protected override void Compute(BatchNormCache<double> cache, ReadOnlySpan<double> dout, Span<double> dx, Span<double> dgamma, Span<double> dbeta)
        {
            BnVerify.Implementations.AltSimplified.ColumnSums(dout, cache.Xhat, dbeta, dgamma);
            BnVerify.Implementations.AltSimplified.Dx(dout, cache.Xhat, cache.Gamma, cache.InvStd, dbeta, dgamma, dx);
            for (int k = 0; k < dx.Length; k++)
            {
                int j = k % cache.D;
                double noise = Math.Sin(12.9898 * k + 78.233 * j) * 43758.5453 % 1; // in (−1, 1)
                dx[k] += 1e-6 * noise * Math.Abs(cache.Gamma[j]) * cache.InvStd[j] * (1 + Math.Abs(dout[k]));
            }
        }
    }

    [Theory]
    [InlineData(new[] { 0.1, 0.1, 0.1 }, MismatchSource.Formula)]
    [InlineData(new[] { -0.1, -0.11, -0.1 }, MismatchSource.Formula)]
    [InlineData(new[] { 1.6e-6, 4e-7, 1e-7 }, MismatchSource.Truncation)]
    [InlineData(new[] { 1e-10, -2e-10, 4e-10 }, MismatchSource.Rounding)]
    [InlineData(new[] { 1e-10, 3e-11, -2e-10 }, MismatchSource.Rounding)]
    [InlineData(new[] { double.NaN, double.NaN, double.NaN }, MismatchSource.Formula)]
    public void Step_study_rule(double[] mismatch, MismatchSource expected) => Assert.Equal(expected, StepStudy.Classify(mismatch));

    private Diagnosis Diagnose(string id)
    {
        var d = DerivationDoctor.Diagnose(BuiltIn.Implementations.Get(id));
        output.WriteLine(DerivationDoctor.Describe(BuiltIn.Implementations.Get(id)));
        return d;
    }

    /// <summary>An implementation under another declaration (not in the registry: it lives in the test assembly).</summary>
    private sealed class Relabelled(IBatchNormBackward inner, BackwardInfo info) : IBatchNormBackward
    {
        public BackwardInfo Info => info;
        public Type ElementType => inner.ElementType;
        public double UnitRoundoff => inner.UnitRoundoff;
        public BatchNormProblem InItsPrecision(BatchNormProblem problem) => inner.InItsPrecision(problem);
        public Gradients Run(BatchNormProblem problem) => inner.Run(problem);
    }
}
