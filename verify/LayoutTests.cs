using BnVerify.Bench;
using BnVerify.Bench.Benchmarks;
using BnVerify.Cases;
using BnVerify.Checking;
using BnVerify.Implementations;
using BnVerify.Kernels;
using Xunit;

namespace BnVerify.Verify;

/// <summary>
/// The layout machinery (issue 14): NCHW ↔ canonical conversions, case files ↔ problems, the spatial generator and shrinker,
/// every implementation on every problem through its own memory order, and the NCHW kernels' own promises.
/// </summary>
public sealed class LayoutTests
{
    /// <summary>A spatial problem with distinct, recognisable values: x[n][c][h][w] = 1000n + 100c + 10h + w.</summary>
    private static BatchNormProblem Numbered(SpatialShape s, Layout layout = Layout.NCHW)
    {
        var x = new double[s.Count];
        var dout = new double[s.Count];
        int k = 0;
        for (int n = 0; n < s.N; n++)
            for (int c = 0; c < s.C; c++)
                for (int h = 0; h < s.H; h++)
                    for (int w = 0; w < s.W; w++, k++)
                    {
                        x[k] = 1000 * n + 100 * c + 10 * h + w;
                        dout[k] = Math.Sin(k + 1);
                    }
        var problem = BatchNormProblem.Spatial(s, Layout.NCHW, x, Enumerable.Range(1, s.C).Select(v => 0.5 * v).ToArray(), new double[s.C], 1e-3, dout);
        return problem.InLayout(s, layout);
    }

    [Fact]
    public void NCHW_and_the_canonical_view_convert_element_by_element_and_back()
    {
        var s = new SpatialShape(2, 3, 4, 5);
        var p = Numbered(s);
        // Canonical element (row (n·H + h)·W + w, column c) is x[n][c][h][w].
        for (int n = 0; n < s.N; n++)
            for (int c = 0; c < s.C; c++)
                for (int h = 0; h < s.H; h++)
                    for (int w = 0; w < s.W; w++)
                        Assert.Equal(1000 * n + 100 * c + 10 * h + w, p.X[((n * s.H + h) * s.W + w) * s.C + c]);
        Assert.Equal(s.Rows, p.N);
        Assert.Equal(s.C, p.D);
        var nchw = p.XIn(Layout.NCHW);
        Assert.Equal(p.X, Layouts.ToCanonical<double>(nchw, s, Layout.NCHW));
        Assert.Equal(p.X, p.XIn(Layout.NHWC)); // NHWC is the canonical memory
        Assert.Equal("[1][2][3][4]", Layouts.Where(((1 * s.H + 3) * s.W + 4) * s.C + 2, s, Layout.NCHW));
        // When H·W = 1 or C = 1 the orders coincide.
        Assert.True(Layouts.SameMemory(Layout.NCHW, Layout.ND, new SpatialShape(5, 3, 1, 1)));
        Assert.True(Layouts.SameMemory(Layout.NCHW, Layout.NHWC, new SpatialShape(5, 1, 4, 4)));
        Assert.False(Layouts.SameMemory(Layout.NCHW, Layout.NHWC, s));
    }

    [Theory]
    [InlineData(Layout.NCHW)]
    [InlineData(Layout.NHWC)]
    public void A_spatial_problem_round_trips_through_a_case_file(Layout layout)
    {
        var p = Numbered(new SpatialShape(2, 3, 2, 3), layout);
        var expected = ClosedForm.Gradients(p);
        string json = CaseWriter.ToJson("round-trip", "test", p, expected);
        Assert.Contains($"\"layout\": \"{Layouts.Name(layout)}\"", json);
        var back = CaseFile.FromJson(json, "round-trip.json");
        Assert.Equal(p.Shape, back.Problem.Shape);
        Assert.Equal(layout, back.Problem.Layout);
        Assert.Equal(p.X, back.Problem.X);
        Assert.Equal(p.Dout, back.Problem.Dout);
        Assert.Equal(p.Gamma, back.Problem.Gamma);
        Assert.Equal(expected.Dx, back.Expected!.Dx);
        Assert.Equal(expected.Dgamma, back.Expected.Dgamma);
        // A 2-D problem writes no layout and reads back as 2-D.
        var flat = new BatchNormProblem(2, 2, [1, 2, 3, 5], [1, 1], [0, 0], 1e-5, [1, -1, 2, 0]);
        string flatJson = CaseWriter.ToJson("flat", "test", flat);
        Assert.DoesNotContain("layout", flatJson);
        Assert.False(CaseFile.FromJson(flatJson, "flat.json").Problem.IsSpatial);
    }

    [Fact]
    public void A_golden_NCHW_file_reads_in_NCHW_order()
    {
        var c = GoldenCases.TorchNchw.Single(g => g.Name == "nchw-single-image-1x2x1x2");
        // x = [[[[1.0218591576645937, -0.62350576497552]], [[0.7033435741199093, -0.18653243367243058]]]]: channel 0 holds the first pair.
        Assert.Equal(new SpatialShape(1, 2, 1, 2), c.Problem.Shape);
        Assert.Equal([1.0218591576645937, 0.7033435741199093, -0.62350576497552, -0.18653243367243058], c.Problem.X);
        Assert.Equal([1.0218591576645937, -0.62350576497552, 0.7033435741199093, -0.18653243367243058], c.Problem.XIn(Layout.NCHW));
    }

    [Theory]
    [InlineData("\"layout\": \"NCWH\",", "layout", "is 'NCWH'; known layouts are \"NCHW\" and \"NHWC\"")]
    [InlineData("\"layout\": 4,", "layout", "must be a string")]
    public void An_unknown_layout_is_refused_naming_the_key(string layout, string element, string problem)
    {
        string json = CaseWriter.ToJson("bad", "test", Numbered(new SpatialShape(1, 2, 1, 2)))
            .Replace("\"layout\": \"NCHW\",", layout, StringComparison.Ordinal);
        var e = Assert.Throws<CaseFormatException>(() => CaseFile.FromJson(json, "bad.json"));
        Assert.Equal(element, e.Element);
        Assert.Contains(problem, e.Problem);
    }

    [Fact]
    public void A_ragged_or_mismatched_spatial_case_is_refused_naming_the_element()
    {
        const string head = "{\"format\": \"bnverify-case/1\", \"name\": \"r\", \"layout\": \"NCHW\", \"eps\": 1e-5, \"gamma\": [1, 1], \"beta\": [0, 0], ";
        var ragged = Assert.Throws<CaseFormatException>(() => CaseFile.FromJson(head +
            "\"x\": [[[[1, 2]], [[3]]]], \"dout\": [[[[1, 2]], [[3, 4]]]]}", "r.json"));
        Assert.Equal("x[0][1][0]", ragged.Element);
        var mismatched = Assert.Throws<CaseFormatException>(() => CaseFile.FromJson(head +
            "\"x\": [[[[1, 2]], [[3, 4]]]], \"dout\": [[[[1, 2, 5]], [[3, 4, 6]]]]}", "r.json"));
        Assert.Equal("dout[0][0][0]", mismatched.Element);
        var flat = Assert.Throws<CaseFormatException>(() => CaseFile.FromJson(head +
            "\"x\": [[1, 2], [3, 4]], \"dout\": [[1, 2], [3, 4]]}", "r.json"));
        Assert.Equal("x[0][0]", flat.Element);
        var nan = Assert.Throws<ArgumentException>(() => BatchNormProblem.Spatial(new SpatialShape(1, 2, 1, 2), Layout.NCHW, [1, 2, double.NaN, 4], [1, 1], [0, 0], 1e-5, [1, 2, 3, 4]));
        Assert.Contains("x[0][1][0][0] is NaN", nan.Message);
    }

    [Fact]
    public void The_spatial_generator_draws_the_shapes_where_spatial_batch_norm_goes_wrong()
    {
        var source = ProblemSource.RandomOnly(GeneratorRange.Spatial); // the random draws (the scheduled shapes come before them)
        var problems = Enumerable.Range(0, 200).Select(i => source.Case(1, i)).ToList();
        Assert.All(problems, p =>
        {
            Assert.True(p.IsSpatial && p.Layout == Layout.NCHW);
            Assert.InRange(p.Shape.N, 1, 6);
            Assert.InRange(p.Shape.C, 1, 6);
            Assert.InRange(p.Shape.H, 1, 7);
            Assert.InRange(p.Shape.W, 1, 7);
        });
        Assert.Contains(problems, p => p.Shape.N == 1 && p.Shape.PlaneSize > 1);
        Assert.Contains(problems, p => p.Shape.PlaneSize == 1);
        Assert.Contains(problems, p => p.Shape.H % 2 == 1 && p.Shape.W % 2 == 1 && p.Shape.H > 1 && p.Shape.W > 1);
        Assert.Contains(problems, p => Enumerable.Range(0, p.D).Any(j => Enumerable.Range(0, p.N).All(i => p.X[i * p.D + j] == p.X[j]) && p.N > 1));
        // And dx is not zero for a single image with H·W > 1.
        var single = problems.First(p => p.Shape.N == 1 && p.Shape.PlaneSize > 2);
        Assert.Contains(ClosedForm.Gradients(single).Dx, v => Math.Abs(v) > 1e-6);
    }

    [Fact]
    public void The_shrinker_keeps_a_spatial_problem_spatial_and_removes_whole_images_rows_columns_and_channels()
    {
        var p = Numbered(new SpatialShape(3, 2, 3, 2));
        var candidates = ProblemShrinker.Shrink(p).ToList();
        Assert.All(candidates, q =>
        {
            Assert.True(q.IsSpatial && q.Layout == Layout.NCHW, q.ToString());
            Assert.Equal(q.Shape.Count, q.X.Length);
        });
        Assert.Contains(candidates, q => q.Shape == new SpatialShape(2, 2, 3, 2));
        Assert.Contains(candidates, q => q.Shape == new SpatialShape(3, 2, 2, 2));
        Assert.Contains(candidates, q => q.Shape == new SpatialShape(3, 2, 3, 1));
        Assert.Contains(candidates, q => q.Shape == new SpatialShape(3, 1, 3, 2));
        // Removing row h = 1 of every plane keeps the others' values where they were.
        var noRow1 = candidates.First(q => q.Shape == new SpatialShape(3, 2, 2, 2) && q.XIn(Layout.NCHW)[0] == 0 && q.XIn(Layout.NCHW)[2] == 20);
        Assert.Equal([0, 1, 20, 21, 100, 101, 120, 121], noRow1.XIn(Layout.NCHW).Take(8));
    }

    [Fact]
    public void Every_implementation_runs_a_spatial_problem_in_its_own_order_and_an_NCHW_one_refuses_a_canonical_cache()
    {
        var p = Numbered(new SpatialShape(2, 3, 2, 3));
        // A rows × channels implementation sees exactly the 2-D view: bitwise the same gradients.
        var fused = BuiltIn.Implementations.Get("fused-simd-f64");
        Assert.Equal(fused.Run(p.InLayout(SpatialShape.Planar(p.N, p.D), Layout.ND)).Dx, fused.Run(p).Dx);
        // The NCHW ones agree with it within rounding.
        var model = ErrorModel.For(p);
        foreach (var id in new[] { "spatial-reference", "spatial-nchw-loop", "spatial-nchw-f64" })
        {
            var dx = BuiltIn.Implementations.Get(id).Run(p).Dx;
            for (int k = 0; k < dx.Length; k++)
                Assert.True(Math.Abs(dx[k] - fused.Run(p).Dx[k]) <= 2 * model.Allowance(GradientName.Dx, k, ErrorModel.Float64Roundoff), $"{id} dx[{k}]");
        }
        var (_, canonical) = BatchNorm.Forward<double>(p);
        var nchw = (IBatchNormBackward<double>)BuiltIn.Implementations.Get("spatial-nchw-f64");
        var e = Assert.Throws<ArgumentException>(() => nchw.Backward(canonical, p.Dout, new double[p.X.Length], new double[p.D], new double[p.D]));
        Assert.Contains("NHWC order", e.Message);
    }

    [Theory]
    [InlineData(1, 1, 1, 1)]
    [InlineData(2, 3, 1, 1)]
    [InlineData(3, 5, 7, 7)]
    [InlineData(2, 4, 2, 3)]
    [InlineData(4, 33, 5, 3)]
    [InlineData(2, 3, 56, 56)]
    [InlineData(3, 4, 8, 8)]
    [InlineData(50, 3, 7, 7)]
    public void The_NCHW_kernel_gives_the_same_bits_on_any_thread_count_and_with_either_store(int n, int c, int h, int w)
    {
        var s = new SpatialShape(n, c, h, w);
        var p = FastKernelTests.Random(s.Rows, s.C, 21, offset: 3).InLayout(s, Layout.NCHW);
        Same<double>(p);
        Same<float>(p);
        static void Same<T>(BatchNormProblem p) where T : unmanaged, System.Numerics.IBinaryFloatingPointIeee754<T>
        {
            var (_, cache) = BatchNorm.Forward<T>(p, Layout.NCHW);
            var dout = BatchNorm.Round<T>(p.DoutIn(Layout.NCHW));
            var results = new List<T[]>();
            foreach (var stores in new[] { NonTemporal.Never, NonTemporal.Always })
                foreach (int threads in new[] { 1, 2, 3 })
                {
                    var dx = new T[p.X.Length];
                    var dgamma = new T[p.D];
                    var dbeta = new T[p.D];
                    SpatialFusedBackward.Run(cache, dout, dx, dgamma, dbeta, new KernelOptions(threads, stores, ParallelThresholdBytes: 0));
                    results.Add([.. dx, .. dgamma, .. dbeta]);
                }
            foreach (var r in results.Skip(1)) Assert.Equal(results[0], r);
        }
    }

    [Theory]
    [InlineData("spatial-nchw-f64")]
    [InlineData("spatial-nchw-f32")]
    [InlineData("spatial-nchw-parallel-f32")]
    public void The_NCHW_kernels_pass_the_checker_at_a_convolution_shape_and_allocate_nothing_on_a_repeated_call(string id)
    {
        var impl = BuiltIn.Implementations.Get(id);
        var s = new SpatialShape(4, 16, 14, 14);
        var p = FastKernelTests.Random(s.Rows, s.C, 22, offset: 50, constantCols: 1).InLayout(s, Layout.NCHW);
        var result = GradientChecker.Check(impl, p);
        Assert.True(result.Pass, $"{id}: {result.Summary()}");
        Assert.Equal(0, impl switch
        {
            IBatchNormBackward<double> f64 => Allocated(f64, impl.InItsPrecision(p)),
            IBatchNormBackward<float> f32 => Allocated(f32, impl.InItsPrecision(p)),
            _ => -1,
        });
        static long Allocated<T>(IBatchNormBackward<T> impl, BatchNormProblem p) where T : unmanaged, System.Numerics.IBinaryFloatingPointIeee754<T>
        {
            var prepared = PreparedBackward.For(impl, p);
            prepared.Run();
            long before = GC.GetAllocatedBytesForCurrentThread();
            prepared.Run();
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }
    }
}
