using BnVerify.Bench;
using BnVerify.Checking;
using BnVerify.Implementations;
using BnVerify.Kernels;
using Xunit;

namespace BnVerify.Verify;

/// <summary>
/// Specific tests of the fused SIMD kernels (the generic property tests cover them too, as they cover every registered
/// implementation): large shapes (judged by oracle 2), odd D that is not a multiple of any vector width, N = 1,
/// zero-variance columns, large offsets, and determinism of the multi-core path. Speed is never asserted here.
/// </summary>
public class FastKernelTests
{
    public static readonly string[] FastIds = ["fused-simd-f64", "fused-simd-f32", "fused-simd-nt-f64", "fused-simd-nt-f32", "fused-simd-parallel-f64", "fused-simd-parallel-f32"];

    public static TheoryData<string> Ids() => [.. BuiltIn.Implementations.All.Where(i => i.Info.Family == Family.Fast).Select(i => i.Info.Id)];

    /// <summary>A random problem: x = offset + scale·z, gamma and beta Gaussian, dout Gaussian; <paramref name="constantCols"/> columns are constant.</summary>
    internal static BatchNormProblem Random(int n, int d, int seed, double offset = 0, double scale = 1, int constantCols = 0, double eps = 1e-5)
    {
        var r = new Random(seed);
        var x = new double[n * d];
        var dout = new double[n * d];
        var gamma = new double[d];
        var beta = new double[d];
        for (int j = 0; j < d; j++)
        {
            gamma[j] = 0.5 + r.NextDouble();
            beta[j] = GradientChecker.Gaussian(r);
        }
        for (int k = 0; k < n * d; k++)
        {
            int j = k % d;
            x[k] = j < constantCols ? offset + 3.0 : offset + scale * GradientChecker.Gaussian(r);
            dout[k] = GradientChecker.Gaussian(r);
        }
        return new BatchNormProblem(n, d, x, gamma, beta, eps, dout);
    }

    [Fact]
    public void The_fast_implementations_are_registered_as_correct()
    {
        foreach (var id in FastIds)
        {
            Assert.True(BuiltIn.Implementations.Exists(id), id);
            Assert.Equal(Verdict.Correct, BuiltIn.Implementations.Get(id).Info.Declared);
            Assert.Equal(Family.Fast, BuiltIn.Implementations.Get(id).Info.Family);
        }
        Assert.Equal(typeof(float), BuiltIn.Implementations.Get("fused-simd-f32").ElementType);
        Assert.Equal(typeof(double), BuiltIn.Implementations.Get("fused-simd-f64").ElementType);
    }

    [Fact]
    public void Small_problems_stay_on_one_thread()
    {
        var defaults = new KernelOptions(Threads: 8);
        Assert.Equal(1, FusedBackward.WorkersFor(64, 256, 8, defaults));
        Assert.Equal(1, FusedBackward.WorkersFor(100_000, 1, 8, new KernelOptions(Threads: 1)));
        Assert.Equal(2, FusedBackward.WorkersFor(16384, 1024, 8, new KernelOptions(Threads: 2)));
        Assert.Equal(1, FusedBackward.WorkersFor(16384, 1024, 8, new KernelOptions(Threads: 2, ParallelThresholdBytes: long.MaxValue)));
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Passes_the_checker_on_large_shapes(string id)
    {
        var impl = BuiltIn.Implementations.Get(id);
        foreach (var (n, d, seed) in new[] { (2048, 64, 1), (1500, 300, 2), (600, 1024, 3) })
        {
            var result = GradientChecker.Check(impl, Random(n, d, seed));
            Assert.True(result.Pass, $"{id} {n}×{d}: {result.Summary()}");
        }
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Passes_the_checker_for_odd_D_and_odd_N(string id)
    {
        var impl = BuiltIn.Implementations.Get(id);
        foreach (int d in new[] { 1, 3, 17, 33, 1023 })
            foreach (int n in new[] { 1, 2, 5, 257 })
            {
                var result = GradientChecker.Check(impl, Random(n, d, 100 * d + n));
                Assert.True(result.Pass, $"{id} {n}×{d}: {result.Summary()}");
            }
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Agrees_with_alt_simplified_elementwise(string id)
    {
        var impl = BuiltIn.Implementations.Get(id);
        var reference = new AltSimplified();
        foreach (var (n, d, seed) in new[] { (7, 19, 4), (300, 65, 5), (1, 9, 6) })
        {
            var p = impl.InItsPrecision(Random(n, d, seed));
            var expected = reference.Run(p);
            var actual = impl.Run(p);
            var model = ErrorModel.For(p);
            foreach (var g in Gradients.All)
            {
                var e = expected.Of(g);
                var a = actual.Of(g);
                for (int k = 0; k < e.Length; k++)
                {
                    double bound = model.Allowance(g, k, impl.UnitRoundoff) + model.Allowance(g, k, reference.UnitRoundoff);
                    Assert.True(Math.Abs(a[k] - e[k]) <= bound, $"{id} {n}×{d} {Gradients.NameOf(g)}[{k}]: {a[k]} vs {e[k]}, bound {bound}");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Handles_zero_variance_columns(string id)
    {
        var impl = BuiltIn.Implementations.Get(id);
        foreach (var (n, d) in new[] { (8, 5), (300, 40) })
        {
            var result = GradientChecker.Check(impl, Random(n, d, 7, constantCols: 3));
            Assert.True(result.Pass, $"{id} {n}×{d}: {result.Summary()}");
        }
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Handles_large_offsets(string id)
    {
        var impl = BuiltIn.Implementations.Get(id);
        foreach (double offset in new[] { 1e3, 1e6, -1e8 })
            foreach (var (n, d) in new[] { (6, 3), (512, 33) })
            {
                var result = GradientChecker.Check(impl, Random(n, d, 8, offset: offset, scale: 0.5));
                Assert.True(result.Pass, $"{id} offset {offset} {n}×{d}: {result.Summary()}");
            }
    }

    /// <summary>The shapes the options tests run: one element, an odd width, many columns past a vector, rows past a chunk.</summary>
    public static TheoryData<int, int> OptionShapes => new() { { 1, 1 }, { 3, 17 }, { 300, 1023 }, { 513, 64 } };

    [Theory]
    [MemberData(nameof(OptionShapes))]
    public void Non_temporal_stores_change_nothing_but_the_stores(int n, int d)
    {
        // Same arithmetic, different stores (with an alignment peel per row): the bits must be identical, in both types.
        var options = from stores in new[] { NonTemporal.Never, NonTemporal.Always }
                      from threads in new[] { 1, 2 }
                      select new KernelOptions(threads, stores, ParallelThresholdBytes: 0);
        SameBitsInBothTypes(Random(n, d, 11), options);
    }

    [Theory]
    [MemberData(nameof(OptionShapes))]
    public void Prefetch_and_vector_width_change_nothing_but_the_speed(int n, int d)
    {
        // The options the gate plants as regressions (prefetch on, a narrower vector) and the choice between the bodies for
        // data in the caches and streamed from memory must leave every bit of the result as it was, on one thread and on
        // two, in both types: only the speed may move.
        var options = from prefetch in new[] { true, false }
                      from bits in new[] { 512, 256, 128 }
                      from threads in new[] { 1, 2 }
                      from streaming in new[] { 0L, long.MaxValue }
                      select new KernelOptions(threads, NonTemporal.WhenLarge, ParallelThresholdBytes: 0, NonTemporalThresholdBytes: 0, Prefetch: prefetch, MaxVectorBits: bits,
                          StreamingThresholdBytes: streaming);
        SameBitsInBothTypes(Random(n, d, 14), options);
    }

    /// <summary><see cref="SameBits{T}"/> in float64 and in float32.</summary>
    private static void SameBitsInBothTypes(BatchNormProblem p, IEnumerable<KernelOptions> options)
    {
        SameBits<double>(p, options);
        SameBits<float>(p, options);
    }

    /// <summary>Runs the fused kernel on <paramref name="p"/> under each of <paramref name="options"/>; every result must be the same bits.</summary>
    private static void SameBits<T>(BatchNormProblem p, IEnumerable<KernelOptions> options) where T : unmanaged, System.Numerics.IBinaryFloatingPointIeee754<T>
    {
        var (_, cache) = BatchNorm.Forward<T>(p);
        var dout = BatchNorm.Round<T>(p.Dout);
        var results = new List<T[]>();
        foreach (var o in options)
        {
            var dx = new T[p.N * p.D];
            var dgamma = new T[p.D];
            var dbeta = new T[p.D];
            FusedBackward.Run(cache, dout, dx, dgamma, dbeta, o);
            results.Add([.. dx, .. dgamma, .. dbeta]);
        }
        foreach (var r in results.Skip(1)) Assert.Equal(results[0], r);
    }

    [Fact]
    public void Kernel_options_refuse_a_vector_width_other_than_512_256_or_128()
    {
        Assert.Equal("MaxVectorBits", Assert.Throws<ArgumentOutOfRangeException>(() => new KernelOptions(MaxVectorBits: 192).Validate()).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new FusedSimdF64(new KernelOptions(MaxVectorBits: 64)));
        Assert.Equal(Math.Min(256, SimdWidth.Widest), new KernelOptions(MaxVectorBits: 256).VectorBits);
        Assert.False(new KernelOptions().Prefetch); // software prefetch off by default: it costs 4–24% on the AVX-512 EPYC VM (README)
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void One_thread_calls_allocate_nothing_after_the_first(string id)
    {
        // The hot path allocates nothing: scratch is thread-static and grows once. Below the multi-core threshold the
        // parallel kernels run on the calling thread too, so all six must allocate zero bytes on a repeated call.
        var impl = BuiltIn.Implementations.Get(id);
        var p = impl.InItsPrecision(Random(300, 100, 13));
        switch (impl)
        {
            case IBatchNormBackward<double> f64: Assert.Equal(0, AllocatedByRepeatedCall(f64, p)); break;
            case IBatchNormBackward<float> f32: Assert.Equal(0, AllocatedByRepeatedCall(f32, p)); break;
            default: Assert.Fail($"{id}: unexpected element type");  break;
        }

        static long AllocatedByRepeatedCall<T>(IBatchNormBackward<T> impl, BatchNormProblem p) where T : unmanaged, System.Numerics.IBinaryFloatingPointIeee754<T>
        {
            var (_, cache) = BatchNorm.Forward<T>(p);
            var dout = BatchNorm.Round<T>(p.Dout);
            var dx = new T[p.N * p.D];
            var dgamma = new T[p.D];
            var dbeta = new T[p.D];
            impl.Backward(cache, dout, dx, dgamma, dbeta); // first call: scratch grows here
            long before = GC.GetAllocatedBytesForCurrentThread();
            impl.Backward(cache, dout, dx, dgamma, dbeta);
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 17)]
    [InlineData(7, 1023)]
    [InlineData(65, 40)]
    [InlineData(5, 64)] // rows of whole vectors at every width: the streaming bodies' rotated path
    [InlineData(1, 32)]
    [InlineData(6, 16)]
    [InlineData(11, 32)]
    [InlineData(9, 48)]
    public void Every_vector_width_computes_exactly_the_scalar_loop(int n, int d)
    {
        // Both passes work column by column: vector lane j does what the scalar loop below does for column j (pass 1 row
        // by row, pass 2 two FMAs), so every width (512, 256, 128 bits; one the CPU lacks runs in software) must match that
        // loop bit for bit, in both bodies (for data in the caches: pass 1 in groups of rows; streamed: one row at a time,
        // aligned, rotated when rows are whole vectors and else each row with a masked vector before and after), the masked
        // and remainder columns included, and so must every start of the data within a 64-byte line (the alignment moves
        // with it), with dout at another start than x. This runs the width-generic bodies this
        // machine would not pick, and pins the promise that an AVX2 and an AVX-512 machine return identical gradients.
        var p = Random(n, d, 12, offset: 0.5);
        foreach (int width in new[] { 512, 256, 128 })
        {
            Same<double>(p, width);
            Same<float>(p, width);
        }

        static void Same<T>(BatchNormProblem p, int width) where T : unmanaged, System.Numerics.IBinaryFloatingPointIeee754<T>
        {
            int n = p.N, d = p.D;
            var x = BatchNorm.Round<T>(p.X);
            var g = BatchNorm.Round<T>(p.Dout);
            var mean = BatchNorm.Round<T>(p.Gamma);
            var a = BatchNorm.Round<T>(p.Beta);
            var b = BatchNorm.Round<T>(p.Gamma);
            var c = BatchNorm.Round<T>(p.Beta);
            var sumDout = new T[d];
            var sumDoutXmu = new T[d];
            var expectedDout = new T[d];
            var expectedXmu = new T[d];
            var expectedDx = new T[n * d];
            for (int j = 0; j < d; j++)
            {
                int i = 0;
                for (; i < n; i++)
                {
                    expectedDout[j] += g[i * d + j];
                    expectedXmu[j] = T.FusedMultiplyAdd(x[i * d + j] - mean[j], g[i * d + j], expectedXmu[j]);
                }
                for (i = 0; i < n; i++)
                    expectedDx[i * d + j] = T.FusedMultiplyAdd(a[j], g[i * d + j], T.FusedMultiplyAdd(b[j], x[i * d + j], c[j]));
            }

            // The same values at every element offset within a line (a 64-byte line holds 8 or 16 of them).
            int line = 64 / System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
            for (int offset = 0; offset < line; offset++)
            {
                foreach (bool streaming in new[] { false, true })
                {
                    Array.Clear(sumDout);
                    Array.Clear(sumDoutXmu);
                    // x and dx start `offset` elements into a line, dout elsewhere in its own (the bodies align to x or dx).
                    var xs = Shifted(x, offset);
                    var gs = Shifted(g, (offset + 5) % line);
                    var dxs = new T[n * d + line].AsSpan(offset, n * d);
                    var dxNonTemporal = new T[n * d + line].AsSpan(offset, n * d);
                    ColumnSums.SumsAt<T>(width, streaming, xs, gs, mean, sumDout, sumDoutXmu);
                    AffineRows.RowsAt<T>(width, xs, gs, dxs, a, b, c, nonTemporal: false, streaming);
                    AffineRows.RowsAt<T>(width, xs, gs, dxNonTemporal, a, b, c, nonTemporal: true, streaming);

                    Assert.Equal(expectedDout, sumDout);
                    Assert.Equal(expectedXmu, sumDoutXmu);
                    Assert.Equal(expectedDx, dxs.ToArray());
                    Assert.Equal(expectedDx, dxNonTemporal.ToArray());
                }
            }

            static ReadOnlySpan<T> Shifted(T[] values, int offset)
            {
                var room = new T[values.Length + 64];
                values.CopyTo(room, offset);
                return room.AsSpan(offset, values.Length);
            }
        }
    }

    [Fact]
    public void No_rows_leave_the_sums_and_the_memory_around_dx_untouched()
    {
        // Zero rows of D = 32: the streaming bodies start at a vector boundary of the data, so an empty block must not
        // reach for the row it does not have (before or after the span) in any body, at any start within a line.
        const int d = 32;
        foreach (int width in new[] { 512, 256, 128 })
            foreach (bool streaming in new[] { false, true })
                for (int offset = 0; offset < 16; offset++)
                {
                    var room = Enumerable.Repeat(7f, 2 * d + 16).ToArray();
                    var sums = Enumerable.Repeat(3f, d).ToArray();
                    var sumsXmu = Enumerable.Repeat(5f, d).ToArray();
                    var constants = new float[d];
                    ColumnSums.SumsAt<float>(width, streaming, room.AsSpan(offset, 0), room.AsSpan(offset, 0), constants, sums, sumsXmu);
                    AffineRows.RowsAt<float>(width, room.AsSpan(offset, 0), room.AsSpan(offset, 0), room.AsSpan(offset, 0), constants, constants, constants, nonTemporal: true, streaming);
                    AffineRows.RowsAt<float>(width, room.AsSpan(offset, 0), room.AsSpan(offset, 0), room.AsSpan(offset, 0), constants, constants, constants, nonTemporal: false, streaming);
                    Assert.All(sums, v => Assert.Equal(3f, v));
                    Assert.All(sumsXmu, v => Assert.Equal(5f, v));
                    Assert.All(room, v => Assert.Equal(7f, v));
                }
    }

    [Fact]
    public void Float32_sums_stay_far_inside_the_allowance_at_N_16384()
    {
        // The float32 kernel sums blocks of 256 rows in float32 and accumulates in float64; its dbeta error should be
        // a small fraction of the checker's 8·u32·(N + 4) allowance, not merely inside it.
        const int n = 16384, d = 3;
        var impl = BuiltIn.Implementations.Get("fused-simd-f32");
        var p = impl.InItsPrecision(Random(n, d, 10, offset: 1.0));
        var actual = impl.Run(p);
        var model = ErrorModel.For(p);
        for (int j = 0; j < d; j++)
        {
            double exact = 0;
            for (int i = 0; i < n; i++) exact += p.Dout[i * d + j];
            double error = Math.Abs(actual.Dbeta[j] - exact);
            Assert.True(error <= 0.05 * model.Allowance(GradientName.Dbeta, j, impl.UnitRoundoff), $"dbeta[{j}] error {error}");
        }
    }
}

/// <summary>Kernel settings are passed in: <see cref="ITunableBackward.With"/> gives the same implementation with exactly the options asked for.</summary>
public class TunableBackwardTests
{
    [Fact]
    public void With_returns_the_same_implementation_running_with_the_given_options()
    {
        var tunables = BuiltIn.Implementations.All.OfType<ITunableBackward>().ToList();
        Assert.Equal(10, tunables.Count); // fused-simd-* and spatial-nchw-*: f32 and f64, each plain, nt (2-D only) and parallel
        var options = new KernelOptions(Threads: 3, Stores: NonTemporal.Never, ParallelThresholdBytes: 123, MaxVectorBits: 128);
        foreach (var impl in tunables)
        {
            var changed = Assert.IsAssignableFrom<ITunableBackward>(impl.With(options));
            Assert.Equal(impl.GetType(), changed.GetType());
            Assert.Equal(impl.Info, changed.Info);
            Assert.Equal(impl.Layout, changed.Layout);
            Assert.Equal(options, changed.Options);
            Assert.NotEqual(options, impl.Options); // the original keeps its own
        }
        Assert.Equal("MaxVectorBits", Assert.Throws<ArgumentOutOfRangeException>(() => tunables[0].With(options with { MaxVectorBits = 64 })).ParamName);
    }
}

/// <summary>
/// The multi-core path with several real threads: the kernel is given its own options (threshold 0, at least two
/// threads), so nothing process-wide changes and the test runs beside the others.
/// </summary>
public class FastKernelMultiCoreTests
{
    [Theory]
    [InlineData("fused-simd-parallel-f64", "fused-simd-f64")]
    [InlineData("fused-simd-parallel-f32", "fused-simd-f32")]
    public void Multi_core_is_deterministic_and_matches_one_core(string parallelId, string singleId)
    {
        // Several chunks, and the size threshold lowered so that the multi-core path really uses several threads.
        const int n = 2000, d = 515;
        var options = new KernelOptions(Threads: Math.Max(2, Environment.ProcessorCount), Stores: NonTemporal.WhenLarge, ParallelThresholdBytes: 0);
        var parallel = ((ITunableBackward)BuiltIn.Implementations.Get(parallelId)).With(options);
        var single = BuiltIn.Implementations.Get(singleId);
        Assert.True(FusedBackward.WorkersFor(n, d, 8, options) >= 2);
        var p = parallel.InItsPrecision(FastKernelTests.Random(n, d, 9));
        var first = parallel.Run(p);
        for (int rep = 0; rep < 5; rep++)
        {
            var again = parallel.Run(p);
            foreach (var g in Gradients.All) Assert.Equal(first.Of(g), again.Of(g)); // bitwise: exact double equality
        }
        // The chunking does not depend on the thread count, so one core gives the very same bits.
        var one = single.Run(p);
        foreach (var g in Gradients.All) Assert.Equal(one.Of(g), first.Of(g));
        Assert.True(GradientChecker.Check(parallel, p).Pass);
    }
}
