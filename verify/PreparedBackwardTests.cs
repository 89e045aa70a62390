using BnVerify.Checking;
using Xunit;

namespace BnVerify.Verify;

/// <summary>
/// <see cref="PreparedBackward"/>'s random placement, which the gate's in-cache rounds use to sample memory placement: the
/// placed arrays hold what the plain ones do, sit at relative addresses that differ from one placement to the next, and
/// stay where they are through a compacting collection.
/// </summary>
public sealed class PreparedBackwardTests
{
    /// <summary>Records what a backward is called with: the arrays' contents and addresses.</summary>
    private sealed unsafe class Recorder(Layout layout) : BatchNormBackward<double>(BackwardInfo.Correct("recorder", "a test", Family.External), layout)
    {
        public double[] Seen { get; private set; } = [];
        public long[] Addresses { get; private set; } = [];

        protected override void Compute(BatchNormCache<double> cache, ReadOnlySpan<double> dout, Span<double> dx, Span<double> dgamma, Span<double> dbeta)
        {
            Seen = [.. cache.X, .. cache.Xhat, .. cache.Mean, .. cache.Var, .. cache.InvStd, .. cache.Gamma, .. cache.Beta, .. dout, cache.Eps];
            fixed (double* x = cache.X, xhat = cache.Xhat, o = dout, g = dx)
                Addresses = [(long)x, (long)xhat, (long)o, (long)g];
            dx.Clear();
            dgamma.Clear();
            dbeta.Clear();
        }
    }

    [Theory]
    [InlineData(Layout.ND)]
    [InlineData(Layout.NCHW)]
    public void A_placed_preparation_passes_the_same_values_as_a_plain_one(Layout layout)
    {
        var shape = new SpatialShape(3, 5, 2, 4);
        var p = FastKernelTests.Random(shape.Rows, shape.C, 7, offset: 2).InLayout(shape, Layout.NCHW);
        var plain = new Recorder(layout);
        PreparedBackward.For(plain, p).Run();
        var placed = new Recorder(layout);
        PreparedBackward.For(placed, p, new Random(1)).Run();
        Assert.NotEmpty(plain.Seen);
        Assert.Equal(plain.Seen, placed.Seen);
    }

    [Fact]
    public void Placements_differ_in_the_arrays_relative_addresses_and_survive_a_compacting_collection()
    {
        // Holes of exactly the arrays' size in the pinned heap, as earlier placements of the same shape leave when they die
        // (the gate's baseline run before its gate run, or other tests): the placement must not depend on the heap's state.
        var holes = new List<double[]>();
        var kept = new List<byte[]>();
        for (int k = 0; k < 64; k++)
        {
            holes.Add(GC.AllocateUninitializedArray<double>(128 * 64, pinned: true));
            kept.Add(GC.AllocateUninitializedArray<byte>(64, pinned: true));
        }
        holes.Clear();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);

        var p = ProblemGenerator.Generate(new Random(3), 128, 64);
        var placement = new Random(20261201);
        var offsets = new HashSet<(long, long, long)>();
        var alive = new List<PreparedBackward>(); // as the gate holds its placements, all at once
        for (int k = 0; k < 8; k++)
        {
            var recorder = new Recorder(Layout.ND);
            var prepared = PreparedBackward.For(recorder, p, placement);
            alive.Add(prepared);
            prepared.Run();
            var before = recorder.Addresses;
            _ = new byte[1 << 20]; // garbage for the collector to compact around
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            prepared.Run();
            Assert.Equal(before, recorder.Addresses);
            // Where x, dout and dx fall in a 4 KiB page relative to xhat: what decides which L1 sets they share.
            offsets.Add(((before[0] - before[1]) & 4095, (before[2] - before[1]) & 4095, (before[3] - before[1]) & 4095));
        }
        GC.KeepAlive(kept);
        // 8 placements of 64 gaps each: two alike by chance is possible, most alike would mean the gaps do nothing.
        Assert.True(offsets.Count >= 6, $"only {offsets.Count} distinct relative placements in 8: {string.Join(" ", offsets)}");
    }
}
