using BnVerify.Checking;
using Xunit;

namespace BnVerify.Verify;

/// <summary>
/// The shrinker (<see cref="ProblemShrinker"/>), on problems whose values name their own position, so every candidate can
/// be read back: which rows, columns, images, plane rows and plane columns it kept, in which order it offers them, which
/// simpler values it proposes, and how <see cref="ProblemShrinker.Minimize"/> stops (steps, time budget). Written for the
/// survivors of the <c>oracles-and-shrinker</c> mutation scope; all fast (no gradient is checked).
/// </summary>
public sealed class ShrinkerTests
{
    // ---- rows and columns of a 2-D problem ----

    /// <summary>x_ij = 10·i + j, dout_ij = 1000 + x_ij, gamma_j = j + 1.5, beta_j = j − 0.5: every value says where it came from.</summary>
    private static BatchNormProblem Numbered(int n, int d)
    {
        var x = new double[n * d];
        var dout = new double[n * d];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++)
            {
                x[i * d + j] = 10 * i + j;
                dout[i * d + j] = 1000 + 10 * i + j;
            }
        return new BatchNormProblem(n, d, x, Enumerable.Range(0, d).Select(j => j + 1.5).ToArray(),
            Enumerable.Range(0, d).Select(j => j - 0.5).ToArray(), 1e-3, dout);
    }

    /// <summary>The rows and columns of <paramref name="p"/> (from <see cref="Numbered"/>) that <paramref name="q"/> kept, after checking every value of q is the one at that row and column of p.</summary>
    private static (int[] Rows, int[] Columns) Kept(BatchNormProblem p, BatchNormProblem q)
    {
        var rows = Enumerable.Range(0, q.N).Select(i => (int)Math.Round(q.X[i * q.D] - q.X[0] % 10) / 10).ToArray();
        var columns = Enumerable.Range(0, q.D).Select(c => (int)Math.Round(q.X[c]) % 10).ToArray();
        for (int r = 0; r < q.N; r++)
            for (int c = 0; c < q.D; c++)
            {
                Assert.Equal(p.X[rows[r] * p.D + columns[c]], q.X[r * q.D + c]);
                Assert.Equal(p.Dout[rows[r] * p.D + columns[c]], q.Dout[r * q.D + c]);
            }
        Assert.Equal(columns.Select(c => p.Gamma[c]), q.Gamma);
        Assert.Equal(columns.Select(c => p.Beta[c]), q.Beta);
        Assert.Equal(p.Eps, q.Eps);
        return (rows, columns);
    }

    private static int[] Span(int start, int end) => Enumerable.Range(start, end - start + 1).ToArray();

    private static int[] AllBut(int count, int skip) => Enumerable.Range(0, count).Where(i => i != skip).ToArray();

    /// <summary>The row sets a 2-D problem of n rows is offered, in order (as documented on <see cref="ProblemShrinker"/>).</summary>
    public static TheoryData<int, int[][]> RowOrders => new()
    {
        { 1, [] },
        { 2, [[1], [0]] },
        { 3, [[1, 2], [0, 2], [0, 1]] }, // no halves below 4 rows; every single row removed in turn
        { 5, [[0, 1], Span(2, 4), Span(0, 3), Span(1, 4), AllBut(5, 1), AllBut(5, 2), AllBut(5, 3)] },
        // halves, then chunks of 8/4 = 2 and of 1 from the end and from the start, then each inner row (the ends were offered)
        { 8, [Span(0, 3), Span(4, 7), Span(0, 5), Span(2, 7), Span(0, 6), Span(1, 7), AllBut(8, 1), AllBut(8, 2), AllBut(8, 3), AllBut(8, 4), AllBut(8, 5), AllBut(8, 6)] },
    };

    [Theory]
    [MemberData(nameof(RowOrders))]
    public void Rows_are_removed_halves_first_then_chunks_from_either_end_then_one_at_a_time_each_set_once(int n, int[][] expected)
    {
        var p = Numbered(n, 2);
        var offered = ProblemShrinker.Shrink(p).Where(q => q.N < n).Select(q => Kept(p, q)).ToList();
        Assert.All(offered, k => Assert.Equal([0, 1], k.Columns));
        Assert.Equal(expected, offered.Select(k => k.Rows).ToArray());
    }

    [Fact]
    public void Columns_are_removed_the_same_way_and_take_their_gamma_and_beta_with_them()
    {
        var p = Numbered(2, 5);
        var offered = ProblemShrinker.Shrink(p).Where(q => q.D < 5).Select(q => Kept(p, q)).ToList();
        Assert.All(offered, k => Assert.Equal([0, 1], k.Rows));
        Assert.Equal([[0, 1], Span(2, 4), Span(0, 3), Span(1, 4), AllBut(5, 1), AllBut(5, 2), AllBut(5, 3)], offered.Select(k => k.Columns).ToArray());
    }

    [Fact]
    public void Single_rows_inside_the_batch_are_removed_up_to_64_rows_and_above_that_only_chunks_at_the_ends()
    {
        var at64 = Numbered(ProblemShrinker.SingleRemovalLimit, 1);
        var of64 = ProblemShrinker.Shrink(at64).Where(q => q.N < at64.N).Select(q => Kept(at64, q).Rows).ToList();
        Assert.Contains(of64, rows => rows.SequenceEqual(AllBut(64, 31)));
        Assert.Equal(of64.Count, of64.Select(r => string.Join(",", r)).Distinct().Count());

        var at65 = Numbered(ProblemShrinker.SingleRemovalLimit + 1, 1);
        var of65 = ProblemShrinker.Shrink(at65).Where(q => q.N < at65.N).Select(q => Kept(at65, q).Rows).ToList();
        // Each candidate is one run of consecutive rows touching an end: a few dozen, not 65 single removals.
        Assert.All(of65, rows => Assert.True(rows.SequenceEqual(Span(rows[0], rows[^1])) && (rows[0] == 0 || rows[^1] == 64), string.Join(",", rows)));
        Assert.True(of65.Count < 20, $"{of65.Count} row candidates");
        Assert.Contains(of65, rows => rows.SequenceEqual(Span(0, 63)));
        Assert.Contains(of65, rows => rows.SequenceEqual(Span(1, 64)));
    }

    // ---- simpler values ----

    /// <summary>4×2, x not simple, with a value in each column whose simpler version rounds to zero from below.</summary>
    private static BatchNormProblem NotSimple(double eps = 1e-3) => new(4, 2,
        [13, -0.04, 14.6, 0.3, 2.5, -1.7, 9.9, 0.9], [0.37, 1], [0, 0], eps,
        [1, -2, 3, 5, 0, 4, -1, 2]);

    private static double[][] XCandidates(BatchNormProblem p) =>
        ProblemShrinker.Shrink(p).Where(q => q.N == p.N && q.D == p.D && !q.X.SequenceEqual(p.X)).Select(q => q.X).ToArray();

    [Fact]
    public void X_is_offered_as_a_standardized_pattern_as_small_integers_and_to_two_digits_never_as_minus_zero()
    {
        var candidates = XCandidates(NotSimple());
        Assert.Equal(3, candidates.Length);
        // Each column centred and scaled to −3..3 (column 0: mean 10, spread 7.5; −0.04 of a spread is 0).
        Assert.Contains(candidates, x => x.SequenceEqual([1, 0, 2, 1, -3, -3, 0, 2]));
        // Each column scaled by its largest magnitude to −5..5 (−0.04/1.7 of 5 is 0).
        Assert.Contains(candidates, x => x.SequenceEqual([4, 0, 5, 1, 1, -5, 3, 3]));
        // Two significant digits.
        double[] twoDigits = [13, -0.04, 15, 0.3, 2.5, -1.7, 9.9, 0.9];
        Assert.Contains(candidates, x => x.Zip(twoDigits).All(v => Math.Abs(v.First - v.Second) <= 1e-12 * Math.Abs(v.Second)));
        // The rounded zeros are +0 (a counterexample printing "-0" would be needlessly strange).
        Assert.All(candidates, x => Assert.DoesNotContain(x, v => v == 0 && double.IsNegative(v)));
    }

    [Fact]
    public void A_column_of_zeros_stays_zeros_in_every_simpler_x_and_dout()
    {
        var p = new BatchNormProblem(3, 2, [0, 13, 0, -0.7, 0, 2.5], [1, 1], [0, 0], 1e-3, [0, 1.3, 0, -0.7, 0, 2.5]);
        var simpler = ProblemShrinker.Shrink(p).Where(q => q.N == 3 && q.D == 2).ToList();
        Assert.Contains(simpler, q => !q.X.SequenceEqual(p.X));
        Assert.Contains(simpler, q => !q.Dout.SequenceEqual(p.Dout));
        Assert.All(simpler, q => Assert.Equal([0.0, 0.0, 0.0], new[] { q.X[0], q.X[2], q.X[4] }));
        Assert.All(simpler, q => Assert.Equal([0.0, 0.0, 0.0], new[] { q.Dout[0], q.Dout[2], q.Dout[4] }));
    }

    [Theory]
    [InlineData(new double[] { 1, -5, 5, 0, 3, -2, 4, 2 }, false)] // small integers, |v| ≤ 5 included: already simple
    [InlineData(new double[] { 1, -5, 5, 0, 3, -2, 4, 0.5 }, true)] // one value not an integer
    [InlineData(new double[] { 0.5, 1.5, -2.5, 3.5, 4.5, -0.5, 1.25, 2.75 }, true)] // small but not integers
    [InlineData(new double[] { 1, -5, 5, 0, 3, -2, 4, 6 }, true)] // one integer too large
    public void X_gets_simpler_candidates_only_when_it_is_not_already_small_integers(double[] x, bool offered)
    {
        var p = NotSimple().With(x: x);
        Assert.Equal(offered, XCandidates(p).Length > 0);
    }

    [Fact]
    public void Dout_gets_simpler_candidates_only_when_it_is_not_already_small_integers()
    {
        var simple = NotSimple();
        Assert.DoesNotContain(ProblemShrinker.Shrink(simple), q => q.N == 4 && q.D == 2 && !q.Dout.SequenceEqual(simple.Dout));
        var p = simple.With(dout: [13, -0.04, 14.6, 0.3, 2.5, -1.7, 9.9, 0.9]);
        var douts = ProblemShrinker.Shrink(p).Where(q => q.N == 4 && q.D == 2 && !q.Dout.SequenceEqual(p.Dout)).Select(q => q.Dout).ToList();
        Assert.Contains(douts, dout => dout.SequenceEqual([4, 0, 5, 1, 1, -5, 3, 3]));
        Assert.Equal(2, douts.Count); // small integers and two digits: dout is not centred (its offset matters)
    }

    [Fact]
    public void No_candidate_is_the_problem_itself_so_minimizing_cannot_cycle()
    {
        // Values a simpler version leaves unchanged: two-digit integers (x, dout), one-digit gamma and beta above 5, eps a power of ten.
        var p = new BatchNormProblem(3, 2, [10, 20, -30, 40, 50, -60], [30, -20], [30, 70], 1e-3, [11, -22, 33, 44, -55, 66]);
        Assert.All(ProblemShrinker.Shrink(p), q => Assert.False(
            q.N == p.N && q.D == p.D && q.X.SequenceEqual(p.X) && q.Dout.SequenceEqual(p.Dout) && q.Gamma.SequenceEqual(p.Gamma)
            && q.Beta.SequenceEqual(p.Beta) && q.Eps == p.Eps, $"offered itself: {q}"));
        // Minimizing with a predicate that holds for everything ends (at the simplest problem) instead of cycling.
        var simplest = ProblemShrinker.Minimize(p, _ => true);
        Assert.Equal((1, 1), (simplest.N, simplest.D));
        Assert.Equal([1.0], simplest.Gamma);
        Assert.Equal([0.0], simplest.Beta);
    }

    [Fact]
    public void Gamma_and_beta_that_are_already_small_integers_are_offered_only_1_and_0()
    {
        var p = NotSimple().With(gamma: [3, -1], beta: [2, -3]);
        var gammas = ProblemShrinker.Shrink(p).Where(q => !q.Gamma.SequenceEqual(p.Gamma) && q.D == 2).Select(q => q.Gamma).ToList();
        var betas = ProblemShrinker.Shrink(p).Where(q => !q.Beta.SequenceEqual(p.Beta) && q.D == 2).Select(q => q.Beta).ToList();
        Assert.Equal([[1.0, 1.0]], gammas);
        Assert.Equal([[0.0, 0.0]], betas);
    }

    [Theory]
    [InlineData(3.7, 1.5, 2.0)] // a failure that needs gamma > 1.5 shrinks gamma to 2, not to 1
    [InlineData(3.7, 3.0, 4.0)] // ... that needs gamma > 3: to one digit (4)
    [InlineData(0.37, 0.0, 1.0)] // any positive gamma: to 1
    public void Gamma_shrinks_toward_1_then_2_then_one_digit_as_far_as_the_failure_allows(double gamma, double above, double expected)
    {
        var p = NotSimple().With(gamma: [gamma, 1]);
        var shrunk = ProblemShrinker.Minimize(p, q => q.D == 2 && q.Gamma[0] > above && q.N == 4);
        Assert.Equal(expected, shrunk.Gamma[0], 12);
    }

    [Theory]
    [InlineData(0.73, 0.5, 1.0)] // a failure that needs beta > 0.5 shrinks beta to 1, not to 0
    [InlineData(3.7, 1.5, 4.0)] // ... that needs beta > 1.5: to one digit (4)
    [InlineData(-0.37, -1.0, 0.0)] // any beta above −1: to 0
    public void Beta_shrinks_toward_0_then_1_then_one_digit_as_far_as_the_failure_allows(double beta, double above, double expected)
    {
        var p = NotSimple().With(beta: [beta, 0]);
        var shrunk = ProblemShrinker.Minimize(p, q => q.D == 2 && q.Beta[0] > above && q.N == 4);
        Assert.Equal(expected, shrunk.Beta[0], 12);
    }

    [Fact]
    public void Eps_is_offered_1e_minus_5_then_0_1_then_its_nearest_power_of_ten_and_a_power_of_ten_is_left_alone()
    {
        var eps = ProblemShrinker.Shrink(NotSimple(3e-4)).Where(q => q.Eps != 3e-4).Select(q => q.Eps).ToList();
        Assert.Equal([1e-5, 0.1, 1e-4], eps);
        Assert.DoesNotContain(ProblemShrinker.Shrink(NotSimple(1e-3)), q => q.Eps != 1e-3);
    }

    // ---- Minimize: arguments, steps, time ----

    [Fact]
    public void Minimize_and_Shrink_refuse_null_arguments()
    {
        var p = NotSimple();
        Assert.Throws<ArgumentNullException>(() => ProblemShrinker.Shrink(null!).ToList());
        Assert.Throws<ArgumentNullException>(() => ProblemShrinker.Minimize(null!, _ => true, maxSteps: 0));
        Assert.Throws<ArgumentNullException>(() => ProblemShrinker.Minimize(p, null!));
    }

    [Fact]
    public void Minimize_makes_at_most_maxSteps_evaluations_and_returns_the_problem_when_none_fails()
    {
        var p = NotSimple();
        int calls = 0;
        var result = ProblemShrinker.Minimize(p, _ => { calls++; return false; }, maxSteps: 5);
        Assert.Equal(5, calls);
        Assert.Same(p, result);
        calls = 0;
        var shrunk = ProblemShrinker.Minimize(p, _ => { calls++; return true; }, maxSteps: 3);
        Assert.Equal(3, calls); // each evaluation accepted: three steps toward the simplest problem
        Assert.Equal(1, shrunk.N); // 4 rows → 2 → 1 (two halvings), then 2 columns → 1
        Assert.Equal(1, shrunk.D);
    }

    [Fact]
    public void Minimize_makes_no_evaluation_with_a_zero_time_budget_and_stops_a_pass_when_the_budget_is_spent()
    {
        var p = Numbered(8, 8);
        int calls = 0;
        Assert.Same(p, ProblemShrinker.Minimize(p, _ => { calls++; return true; }, timeBudget: TimeSpan.Zero));
        Assert.Equal(0, calls);

        int candidates = ProblemShrinker.Shrink(p).Count();
        Assert.True(candidates >= 20, $"{candidates} candidates");
        calls = 0;
        ProblemShrinker.Minimize(p, _ => { calls++; Thread.Sleep(25); return false; }, timeBudget: TimeSpan.FromMilliseconds(60));
        // ~3 evaluations fit in the budget (fewer under load); never the whole pass.
        Assert.InRange(calls, 1, candidates / 2);
    }

    // ---- spatial problems ----

    /// <summary>x[n][c][h][w] = 1000·n + 100·c + 10·h + w (NCHW memory), dout = x + 0.5, gamma_c = c + 1.5, beta_c = c − 0.5; presented in <paramref name="layout"/>.</summary>
    private static BatchNormProblem Grid(SpatialShape s, Layout layout)
    {
        var x = new double[s.Count];
        int k = 0;
        for (int n = 0; n < s.N; n++)
            for (int c = 0; c < s.C; c++)
                for (int h = 0; h < s.H; h++)
                    for (int w = 0; w < s.W; w++)
                        x[k++] = 1000 * n + 100 * c + 10 * h + w;
        var p = BatchNormProblem.Spatial(s, Layout.NCHW, x, Enumerable.Range(0, s.C).Select(c => c + 1.5).ToArray(),
            Enumerable.Range(0, s.C).Select(c => c - 0.5).ToArray(), 1e-3, x.Select(v => v + 0.5).ToArray());
        return p.InLayout(s, layout);
    }

    /// <summary>The images, channels, plane rows and plane columns of <paramref name="q"/>, after checking that q is exactly that sub-grid of the <see cref="Grid"/> problem <paramref name="p"/>.</summary>
    private static (int[] N, int[] C, int[] H, int[] W) SubGrid(BatchNormProblem p, BatchNormProblem q)
    {
        Assert.True(q.IsSpatial && q.Layout == p.Layout, q.ToString());
        var s = q.Shape;
        var x = q.XIn(Layout.NCHW);
        var dout = q.DoutIn(Layout.NCHW);
        double At(int n, int c, int h, int w) => x[((n * s.C + c) * s.H + h) * s.W + w];
        var ns = Enumerable.Range(0, s.N).Select(n => (int)At(n, 0, 0, 0) / 1000).ToArray();
        var cs = Enumerable.Range(0, s.C).Select(c => (int)At(0, c, 0, 0) / 100 % 10).ToArray();
        var hs = Enumerable.Range(0, s.H).Select(h => (int)At(0, 0, h, 0) / 10 % 10).ToArray();
        var ws = Enumerable.Range(0, s.W).Select(w => (int)At(0, 0, 0, w) % 10).ToArray();
        for (int n = 0; n < s.N; n++)
            for (int c = 0; c < s.C; c++)
                for (int h = 0; h < s.H; h++)
                    for (int w = 0; w < s.W; w++)
                    {
                        double expected = 1000 * ns[n] + 100 * cs[c] + 10 * hs[h] + ws[w];
                        Assert.Equal(expected, At(n, c, h, w));
                        Assert.Equal(expected + 0.5, dout[((n * s.C + c) * s.H + h) * s.W + w]);
                    }
        Assert.Equal(cs.Select(c => p.Gamma[c]), q.Gamma);
        Assert.Equal(cs.Select(c => p.Beta[c]), q.Beta);
        foreach (var kept in new[] { ns, cs, hs, ws }) Assert.True(kept.Zip(kept.Skip(1)).All(t => t.First < t.Second), "kept in order");
        return (ns, cs, hs, ws);
    }

    [Theory]
    [InlineData(Layout.NCHW)]
    [InlineData(Layout.NHWC)]
    public void Every_spatial_candidate_is_the_sub_grid_of_one_fewer_image_row_column_or_channel_in_the_same_layout(Layout layout)
    {
        var p = Grid(new SpatialShape(3, 3, 3, 2), layout);
        var candidates = ProblemShrinker.Shrink(p).ToList();
        Assert.DoesNotContain(candidates, q => q.Shape == p.Shape && q.X.SequenceEqual(p.X) && q.Dout.SequenceEqual(p.Dout)
                                               && q.Gamma.SequenceEqual(p.Gamma) && q.Beta.SequenceEqual(p.Beta) && q.Eps == p.Eps);
        var smaller = candidates.Where(q => q.Shape != p.Shape).ToList();
        var kept = smaller.Select(q => SubGrid(p, q)).ToList();
        // Each candidate drops exactly one index of one dimension, and each such removal is offered once.
        Assert.Equal(3 + 3 + 3 + 2, kept.Count);
        Assert.Equal([AllBut(3, 0), AllBut(3, 1), AllBut(3, 2)], kept.Where(k => k.N.Length < 3).Select(k => k.N).ToArray());
        Assert.Equal([AllBut(3, 0), AllBut(3, 1), AllBut(3, 2)], kept.Where(k => k.H.Length < 3).Select(k => k.H).ToArray());
        Assert.Equal([AllBut(2, 0), AllBut(2, 1)], kept.Where(k => k.W.Length < 2).Select(k => k.W).ToArray());
        Assert.Equal([AllBut(3, 0), AllBut(3, 1), AllBut(3, 2)], kept.Where(k => k.C.Length < 3).Select(k => k.C).ToArray());
        Assert.All(kept, k => Assert.Equal(1, (k.N.Length < 3 ? 1 : 0) + (k.C.Length < 3 ? 1 : 0) + (k.H.Length < 3 ? 1 : 0) + (k.W.Length < 2 ? 1 : 0)));
    }

    public static TheoryData<int, int[][]> ImageOrders => new()
    {
        { 2, [[1], [0]] },
        { 3, [[1, 2], [0, 2], [0, 1]] }, // no halves below 4 images
        { 4, [[0, 1], [2, 3], AllBut(4, 0), AllBut(4, 1), AllBut(4, 2), AllBut(4, 3)] },
        { 5, [[0, 1], [2, 3, 4], AllBut(5, 0), AllBut(5, 1), AllBut(5, 2), AllBut(5, 3), AllBut(5, 4)] },
    };

    [Theory]
    [MemberData(nameof(ImageOrders))]
    public void Images_are_removed_halves_first_from_4_images_then_one_at_a_time(int images, int[][] expected)
    {
        var p = Grid(new SpatialShape(images, 1, 2, 1), Layout.NCHW);
        var offered = ProblemShrinker.Shrink(p).Where(q => q.Shape.N < images).Select(q => SubGrid(p, q).N).ToArray();
        Assert.Equal(expected, offered);
    }

    [Fact]
    public void A_single_value_spatial_problem_offers_only_simpler_values()
    {
        var p = Grid(new SpatialShape(1, 1, 1, 1), Layout.NCHW).With(x: [3.14159]);
        var candidates = ProblemShrinker.Shrink(p).ToList();
        Assert.NotEmpty(candidates);
        Assert.All(candidates, q => Assert.Equal(p.Shape, q.Shape));
    }
}
