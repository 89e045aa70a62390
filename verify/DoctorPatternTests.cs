using BnVerify.Bench;
using BnVerify.Checking;
using BnVerify.Doctor;
using Xunit;

namespace BnVerify.Verify;

/// <summary>
/// The doctor's words, pinned directly and fast (the mutation run of <c>Patterns.cs</c> and <c>StepStudy.cs</c>, scope
/// <c>doctor</c>, found them unpinned or reached only through whole diagnoses): how numbers, lists and runs are written,
/// each size and index pattern with its exact text and whether it is informative, and the step study's rule at each of
/// its borders, its steps, its mismatches and its sentence.
/// </summary>
public sealed class DoctorPatternTests
{
    private static readonly int[] OneToNine = [1, 2, 3, 4, 5, 6, 7, 8, 9];

    // ------------------------------------------------------------------ Num

    [Fact]
    public void Num_G_writes_four_significant_digits() => Assert.Equal("0.2784", Num.G(0.278435));

    [Theory]
    [InlineData(1.0, "1")]
    [InlineData(-1.0, "−1")]
    [InlineData(1 + 2e-6, "1 + 2.0e-6")]
    [InlineData(1 - 3e-4, "1 − 3.0e-4")]
    [InlineData(-1 + 2e-6, "−(1 − 2.0e-6)")]
    [InlineData(2.0 / 3, "0.666667")]
    [InlineData(-0.5, "−0.5")]
    [InlineData(double.NaN, "NaN")]
    public void Num_Factor_writes_plus_or_minus_one_exactly_a_factor_just_beside_either_as_its_deviation_and_others_in_six_digits_with_a_true_minus_sign(double k, string expected) =>
        Assert.Equal(expected, Num.Factor(k));

    [Fact]
    public void Num_Versus_adds_digits_until_the_two_differ_and_stops_at_17()
    {
        Assert.Equal("2.00004 (exact 2.00001, off by 3.0e-5)", Num.Versus(2.00004, 2.00001));
        Assert.Equal("0.5 (exact 0.5, off by 0.0e0)", Num.Versus(0.5, 0.5));
    }

    [Theory]
    [InlineData(1.0, "100%")]
    [InlineData(0.99995, "100%")]
    [InlineData(0.9999, "99.99%")]
    [InlineData(0.997, "99.70%")]
    [InlineData(0.99, "99.00%")]
    [InlineData(0.123, "12%")]
    [InlineData(-0.1, "0%")]
    public void Num_Share_is_100_from_0_99995_two_decimals_from_0_99_whole_percent_below_and_never_negative(double s, string expected) =>
        Assert.Equal(expected, Num.Share(s));

    [Fact]
    public void Num_List_beyond_max_items_ends_with_an_ellipsis_and_the_count_and_at_max_lists_them_all()
    {
        Assert.Equal("0, 1, 2, 3, 4, 5, 6, 7, … (10 in all)", Num.List(Enumerable.Range(0, 10)));
        Assert.Equal("0, 1, 2, 3, 4, 5, 6, 7", Num.List(Enumerable.Range(0, 8)));
        Assert.Equal("3, 7, … (3 in all)", Num.List([3, 7, 11], max: 2));
    }

    [Fact]
    public void Num_Run_of_one_index_is_the_index_and_of_several_first_dot_dot_last()
    {
        Assert.Equal("3", Num.Run(3, 3));
        Assert.Equal("3..7", Num.Run(3, 7));
    }

    // ------------------------------------------------------------------ Patterns.Sizes

    private static (string Text, bool Informative) Sizes(string axis, IEnumerable<int> sizes, Func<int, bool> fails) =>
        Patterns.Sizes(axis, sizes.Select(n => (n, fails(n))).ToList());

    [Fact]
    public void Sizes_no_sizes_give_no_text_and_every_size_alike_is_not_informative()
    {
        Assert.Equal(("", false), Patterns.Sizes("N", []));
        // Unordered, repeated sizes: the range is still smallest..largest.
        Assert.Equal(("passes at every N tried (N = 1..9)", false), Patterns.Sizes("N", [(9, false), (1, false), (3, false), (1, false)]));
        Assert.Equal(("fails at every D tried (D = 1..9)", false), Sizes("D", OneToNine, _ => true));
    }

    [Fact]
    public void Sizes_an_edge_or_a_threshold_is_named_with_its_size()
    {
        Assert.Equal(("fails only at N = 1 (passes at every other N tried, N = 2..9)", true), Sizes("N", OneToNine, n => n == 1));
        Assert.Equal(("fails at every N ≥ 4 tried and at none below", true), Sizes("N", OneToNine, n => n >= 4));
        // From 3 up is every size past the degenerate ones: not a locality.
        Assert.Equal(("fails at every N ≥ 3 tried and at none below", false), Sizes("N", OneToNine, n => n >= 3));
        Assert.Equal(("fails only at N ≤ 3 (passes at every larger N tried, up to 9)", true), Sizes("N", OneToNine, n => n <= 3));
    }

    [Fact]
    public void Sizes_a_block_tail_or_a_non_multiple_is_named_with_its_block()
    {
        int[] sizes = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129];
        Assert.Equal(("fails at every N > 64 that is not a multiple of 64 (smallest: N = 65); passes at N ≤ 64 and at multiples of 64", true),
            Sizes("N", sizes, n => n > 64 && n % 64 != 0));
        Assert.Equal(("fails at every D that is not a multiple of 8; passes at multiples of 8", true),
            Sizes("D", Enumerable.Range(1, 17), n => n % 8 != 0));
    }

    [Fact]
    public void Sizes_without_a_rule_are_listed_and_informative_only_up_to_two_failing()
    {
        Assert.Equal(("fails at N = 3, 5; passes at N = 1, 2, 4, 6, 7, 8, 9", true), Sizes("N", OneToNine, n => n is 3 or 5));
        Assert.Equal(("fails at N = 3, 5, 7; passes at N = 1, 2, 4, 6, 8, 9", false), Sizes("N", OneToNine, n => n is 3 or 5 or 7));
    }

    // ------------------------------------------------------------------ Patterns.Indices

    /// <summary>A sample of <paramref name="count"/> indices, those in <paramref name="failing"/> failing.</summary>
    private static (int Count, bool[] Failing) S(int count, Func<int, bool> failing) =>
        (count, Enumerable.Range(0, count).Select(failing).ToArray());

    [Fact]
    public void Indices_are_null_only_when_nothing_fails_or_every_failing_sample_fails_everywhere()
    {
        Assert.Null(Patterns.Indices("rows", [S(4, _ => false)]));
        Assert.Null(Patterns.Indices("rows", [S(4, _ => true), S(3, _ => false), S(6, _ => true)]));
        Assert.NotNull(Patterns.Indices("rows", [S(4, _ => true), S(8, i => i >= 4)]));
    }

    [Fact]
    public void Indices_a_first_failing_index_is_informative_only_in_samples_of_two_sizes()
    {
        Assert.Equal(("only columns ≥ 3", true), Patterns.Indices("columns", [S(8, j => j >= 3), S(5, j => j >= 3)]));
        Assert.Equal(("only columns ≥ 3", false), Patterns.Indices("columns", [S(8, j => j >= 3)]));
        Assert.Equal(("only columns ≥ 3", false), Patterns.Indices("columns", [S(8, j => j >= 3), S(8, j => j >= 3)]));
    }

    [Fact]
    public void Indices_a_tail_past_the_last_multiple_of_a_block_names_the_largest_block_and_the_first_samples_tail()
    {
        Assert.Equal(("only the columns past the last multiple of 8 (columns 8..10 of 11)", true),
            Patterns.Indices("columns", [S(11, j => j >= 8), S(19, j => j >= 16)]));
    }

    [Fact]
    public void Indices_the_last_half_or_quarter_is_named_with_the_first_samples_run()
    {
        Assert.Equal(("only the last half of the rows (rows 4..7 of 8)", true), Patterns.Indices("rows", [S(8, i => i >= 4), S(16, i => i >= 8)]));
        Assert.Equal(("only the last half of the rows (rows 4..7 of 8)", true), Patterns.Indices("rows", [S(8, i => i >= 4), S(2, i => i >= 1)]));
        // 8 rows, exactly 2k for a quarter, are enough.
        Assert.Equal(("only the last quarter of the rows (rows 6..7 of 8)", true), Patterns.Indices("rows", [S(8, i => i >= 6), S(4, i => i >= 3)]));
    }

    [Fact]
    public void Indices_a_last_half_or_quarter_needs_a_sample_of_at_least_2k_indices()
    {
        // Index 1 of 2 and index 2 of 3 are each sample's last quarter, but samples that small show no split.
        Assert.Equal(("only rows 1 of 2", false), Patterns.Indices("rows", [S(2, i => i >= 1), S(3, i => i >= 2)]));
    }

    [Fact]
    public void Indices_leading_indices_are_a_run_from_0_and_scattered_ones_a_list()
    {
        Assert.Equal(("only rows 0..2", true), Patterns.Indices("rows", [S(8, i => i <= 2), S(12, i => i <= 2)]));
        Assert.Equal(("only rows 1, 4 of 8", false), Patterns.Indices("rows", [S(8, i => i is 1 or 4), S(12, i => i is 1 or 4)]));
    }

    // ------------------------------------------------------------------ StepStudy

    [Theory]
    [InlineData(new[] { 1.0, 1.5, 1.2 }, MismatchSource.Formula)]      // min·1.5 = max exactly: still constant
    [InlineData(new[] { 1.0, 1.5000001, 1.2 }, MismatchSource.Rounding)]
    [InlineData(new[] { 1.0, 1.0, -1.0 }, MismatchSource.Rounding)]     // equal magnitudes, a sign flips: not a formula error
    [InlineData(new[] { 0.0, 0.0, 0.0 }, MismatchSource.Rounding)]      // no sign at all
    [InlineData(new[] { 1.0, 0.5, double.PositiveInfinity }, MismatchSource.Formula)]
    [InlineData(new[] { 1.0, -0.5, 0.25 }, MismatchSource.Truncation)]  // falls by exactly 4 over two halvings
    [InlineData(new[] { 1.0, 0.5, 0.2500001 }, MismatchSource.Rounding)]
    [InlineData(new[] { 1.0, 0.9, 0.3 }, MismatchSource.Rounding)]      // falls at each halving, by less than 4
    [InlineData(new[] { 1.0, -1.0, 0.1 }, MismatchSource.Rounding)]     // no fall at the first halving
    [InlineData(new[] { 1.0, 2.0, 0.1 }, MismatchSource.Rounding)]      // rises, then falls past 4
    [InlineData(new[] { 1.0, 0.2, -0.2 }, MismatchSource.Rounding)]     // no fall at the second halving
    public void Step_study_rule_at_each_border(double[] mismatch, MismatchSource expected) => Assert.Equal(expected, StepStudy.Classify(mismatch));

    [Fact]
    public void Step_study_rule_refuses_null_and_any_count_but_three()
    {
        Assert.Equal("mismatch", Assert.Throws<ArgumentNullException>(() => StepStudy.Classify(null!)).ParamName);
        foreach (double[] m in new[] { new[] { 1.0, 0.25 }, [1.0, 0.25, 0.0625, 0.015625] })
        {
            var e = Assert.Throws<ArgumentException>(() => StepStudy.Classify(m));
            Assert.Equal("mismatch", e.ParamName);
            Assert.StartsWith("three mismatches (at h, h/2, h/4) are needed", e.Message, StringComparison.Ordinal);
        }
    }

    private const string Trend = @"mismatch \S+ at h = \S+, \S+ at h = \S+, \S+ at h = \S+; ";

    [Fact]
    public void Step_study_measures_the_central_difference_minus_the_implementations_value_at_h_h_over_2_and_h_over_4()
    {
        var impl = BuiltIn.Implementations.Get("alt-simplified");
        var p = impl.InItsPrecision(DoctorProblems.Shaped(1, 0, 5, 3));
        double actual = impl.Run(p).Of(GradientName.Dx)[4];
        var study = StepStudy.Measure(impl, p, GradientName.Dx, 4, 0.25);
        Assert.Equal((GradientName.Dx, 4), (study.Gradient, study.Index));
        Assert.Equal([0.25, 0.125, 0.0625], study.Steps);
        Assert.Equal(study.Steps.Select(h => FiniteDifferenceOracle.CentralDifference(p, GradientName.Dx, 4, h) - actual), study.Mismatch);
        Assert.StartsWith("step study of dx[1][1]: mismatch ", study.Sentence, StringComparison.Ordinal);
        Assert.Contains(" at h = 0.25, ", study.Sentence, StringComparison.Ordinal);
        // Without a step: the oracle's own.
        Assert.Equal(FiniteDifferenceOracle.StepOf(p, GradientName.Dx, 4), StepStudy.Measure(impl, p, GradientName.Dx, 4).Steps[0]);
    }

    [Fact]
    public void Step_study_refuses_a_null_implementation_or_problem_by_name()
    {
        var impl = BuiltIn.Implementations.Get("alt-simplified");
        var p = DoctorProblems.Shaped(1, 0, 5, 3);
        Assert.Equal("impl", Assert.Throws<ArgumentNullException>(() => StepStudy.Measure(null!, p, GradientName.Dx, 0)).ParamName);
        Assert.Equal("problem", Assert.Throws<ArgumentNullException>(() => StepStudy.Measure(impl, null!, GradientName.Dx, 0)).ParamName);
        // Not every implementation refuses a null problem itself (one loaded from a user's assembly hands it on as it is):
        // the step study must, before it asks the implementation anything.
        Assert.Equal("problem", Assert.Throws<ArgumentNullException>(() => StepStudy.Measure(new TakesAnything(), null!, GradientName.Dx, 0)).ParamName);
    }

    /// <summary>An implementation that takes any problem, null included, and fails only when run.</summary>
    private sealed class TakesAnything : IBatchNormBackward
    {
        public BackwardInfo Info { get; } = BackwardInfo.Correct("takes-anything", "a test double", Family.External);
        public Type ElementType => typeof(double);
        public double UnitRoundoff => 1.0 / (1L << 53);
        public BatchNormProblem InItsPrecision(BatchNormProblem problem) => problem;
        public Gradients Run(BatchNormProblem problem) => throw new InvalidOperationException("run with " + (problem is null ? "no problem" : "a problem"));
    }

    [Fact]
    public void Step_study_sentence_names_the_element_the_trend_and_what_a_formula_error_means()
    {
        var p = DoctorProblems.Shaped(1, 0, 5, 3);
        var dbeta = StepStudy.Measure(BuiltIn.Implementations.Get("mutant-dbeta-scaled"), p, GradientName.Dbeta, 1);
        Assert.Equal(MismatchSource.Formula, dbeta.Source);
        Assert.Matches(@"^step study of dbeta\[1\]: " + Trend +
                       @"it stays constant as the step shrinks, so it is the formula's error, not the finite differences' \(formula\)\.$", dbeta.Sentence);

        // NaN from the implementation (gamma = 0 in column 0): no step explains it.
        p = new BatchNormProblem(p.N, p.D, p.X, [0.0, .. p.Gamma.Skip(1)], p.Beta, p.Eps, p.Dout);
        var nan = StepStudy.Measure(BuiltIn.Implementations.Get("mutant-nan-gamma-zero"), p, GradientName.Dx, 3);
        Assert.Equal(MismatchSource.Formula, nan.Source);
        Assert.Matches(@"^step study of dx\[1\]\[0\]: mismatch NaN at h = \S+, NaN at h = \S+, NaN at h = \S+; " +
                       @"the implementation returns NaN here, which no step explains, so it is the formula's error \(formula\)\.$", nan.Sentence);
    }

    [Fact]
    public void Step_study_sentence_says_what_truncation_and_rounding_mean()
    {
        var impl = BuiltIn.Implementations.Get("alt-simplified");
        var p = DoctorProblems.Shaped(1, 0, 5, 3);
        double spread = 1 / ErrorModel.For(p).InvStd[1];
        var large = StepStudy.Measure(impl, p, GradientName.Dx, 4, 0.2 * spread);
        Assert.Equal(MismatchSource.Truncation, large.Source);
        Assert.Matches(@"^step study of dx\[1\]\[1\]: " + Trend +
                       @"it shrinks like h² as the step shrinks, so it is the finite difference's truncation, not a formula error \(truncation\)\.$", large.Sentence);
        var tiny = StepStudy.Measure(impl, p, GradientName.Dx, 4, 1e-8 * spread);
        Assert.Equal(MismatchSource.Rounding, tiny.Source);
        Assert.Matches(@"^step study of dx\[1\]\[1\]: " + Trend +
                       @"it grows \(like 1/h\) or varies erratically as the step shrinks, so it is rounding in the finite difference, not a formula error \(rounding\)\.$", tiny.Sentence);
    }
}
