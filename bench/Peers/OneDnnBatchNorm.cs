using System.Runtime.InteropServices;

namespace BnVerify.Bench.Peers;

/// <summary>
/// How the batch is described to oneDNN. An N×D batch is the N×C×H×W one with C = D and H = W = 1, so for it
/// <see cref="Nhwc4D"/>, <see cref="Nchw4D"/> and <see cref="Nc2D"/> all describe the same row-major N×D floats.
/// </summary>
public enum OneDnnLayout
{
    /// <summary>
    /// A 4-D tensor {N, C, H, W} in <c>nhwc</c> format (channels last: the rows × channels memory of BnVerify's N×D
    /// kernels). oneDNN's fast (JIT, vectorised over channels) batch normalization is chosen for this description.
    /// </summary>
    Nhwc4D,

    /// <summary>
    /// A 4-D tensor {N, C, H, W} in <c>nchw</c> format (each channel's values are N planes of H·W contiguous floats), the
    /// memory order a convolution hands PyTorch's BatchNorm2d.
    /// </summary>
    Nchw4D,

    /// <summary>A plain 2-D tensor {N, D} in <c>nc</c> format (N×D batches only); oneDNN 2.6 runs a generic kernel for it, far slower (for measurement only).</summary>
    Nc2D,
}

/// <summary>
/// oneDNN's float32 batch normalization backward, prepared once for one shape, memory order, epsilon and thread count: the engine,
/// the stream, the forward-training and backward primitives (flags use_scale | use_shift), 64-byte aligned native
/// buffers for every argument and the argument list. <see cref="Backward"/> then runs the primitive on those buffers with
/// no managed allocation, so it can be timed call after call. Fill <see cref="X"/>, <see cref="Dout"/>, <see cref="Gamma"/>
/// and <see cref="Beta"/>; then either write <see cref="Mean"/> and <see cref="Variance"/> (biased, 1/N) or run
/// <see cref="Forward"/> to let oneDNN compute them; read the gradients from <see cref="Dx"/>, <see cref="Dgamma"/>, <see cref="Dbeta"/>.
/// Every oneDNN call's status is checked: a failure is a <see cref="OneDnnException"/> naming the call.
/// </summary>
public sealed unsafe class OneDnnBatchNorm : IDisposable
{
    private readonly OneDnnLibrary _lib;
    private readonly List<IDisposable> _owned = [];
    private readonly DnnlHandle _engine, _stream, _forwardPd, _backwardPd, _backward;
    private readonly AlignedBuffer _x, _dout, _dx, _gamma, _beta, _mean, _variance, _dgamma, _dbeta;
    private readonly AlignedBuffer _backwardArgs;
    private readonly int _backwardArgCount;
    private bool _disposed;

    /// <summary>
    /// Prepares the primitives for an <paramref name="n"/>×<paramref name="d"/> float32 batch with epsilon
    /// <paramref name="eps"/> (rounded to float32, oneDNN's type for it), run on <paramref name="threads"/> OpenMP threads.
    /// </summary>
    public OneDnnBatchNorm(OneDnnLibrary library, int n, int d, double eps, int threads, OneDnnLayout layout = OneDnnLayout.Nhwc4D)
        : this(library, SpatialShape.Planar(n, d), eps, threads, layout)
    {
    }

    /// <summary>
    /// Prepares the primitives for a float32 batch of <paramref name="shape"/> (N×C×H×W) stored in <paramref name="layout"/>
    /// order, with epsilon <paramref name="eps"/> (rounded to float32, oneDNN's type for it), run on
    /// <paramref name="threads"/> OpenMP threads.
    /// </summary>
    public OneDnnBatchNorm(OneDnnLibrary library, SpatialShape shape, double eps, int threads, OneDnnLayout layout = OneDnnLayout.Nhwc4D)
    {
        ArgumentNullException.ThrowIfNull(library);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(shape.N, nameof(shape));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(shape.C, nameof(shape));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(shape.H, nameof(shape));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(shape.W, nameof(shape));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        if (!Enum.IsDefined(layout)) throw new ArgumentOutOfRangeException(nameof(layout), layout, "not a oneDNN layout");
        if (layout == OneDnnLayout.Nc2D && shape.PlaneSize != 1)
            throw new ArgumentException($"a {shape.N}×{shape.C}×{shape.H}×{shape.W} batch has H·W > 1: describe it as nhwc or nchw, not nc", nameof(layout));
        if (shape.Count > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(shape), shape, "more values than a span can hold");
        if (!(eps > 0) || !float.IsFinite((float)eps) || (float)eps <= 0)
            throw new ArgumentOutOfRangeException(nameof(eps), eps, "eps must be > 0 and representable in float32.");
        _lib = library;
        (Shape, Threads, Layout) = (shape, threads, layout);
        long nd = shape.Count;
        int d = shape.C;
        try
        {
            _x = Own(new AlignedBuffer(nd * sizeof(float)));
            _dout = Own(new AlignedBuffer(nd * sizeof(float)));
            _dx = Own(new AlignedBuffer(nd * sizeof(float)));
            _gamma = Own(new AlignedBuffer(d * sizeof(float)));
            _beta = Own(new AlignedBuffer(d * sizeof(float)));
            _mean = Own(new AlignedBuffer(d * sizeof(float)));
            _variance = Own(new AlignedBuffer(d * sizeof(float)));
            _dgamma = Own(new AlignedBuffer(d * sizeof(float)));
            _dbeta = Own(new AlignedBuffer(d * sizeof(float)));

            // OpenMP's thread count is a setting of the calling thread: set before creation (a primitive sizes its
            // scratchpad for the threads it may use) and again before every execution.
            library.SetThreads(threads);
            IntPtr engine, stream;
            OneDnnLibrary.Check(library.EngineCreate(&engine, OneDnn.EngineCpu, 0), "dnnl_engine_create");
            _engine = Own(new DnnlHandle(engine, library.EngineDestroy));
            OneDnnLibrary.Check(library.StreamCreate(&stream, engine, OneDnn.StreamDefaultFlags), "dnnl_stream_create");
            _stream = Own(new DnnlHandle(stream, library.StreamDestroy));

            var md = Own(new AlignedBuffer(OneDnn.DescriptorBytes));
            var forwardDesc = Own(new AlignedBuffer(OneDnn.DescriptorBytes));
            var backwardDesc = Own(new AlignedBuffer(OneDnn.DescriptorBytes));
            long* dims = stackalloc long[4] { shape.N, shape.C, shape.H, shape.W };
            OneDnnLibrary.Check(layout switch
            {
                OneDnnLayout.Nhwc4D => library.MemoryDescInitByTag(md.Pointer, 4, dims, OneDnn.DataTypeF32, OneDnn.TagNhwc),
                OneDnnLayout.Nchw4D => library.MemoryDescInitByTag(md.Pointer, 4, dims, OneDnn.DataTypeF32, OneDnn.TagNchw),
                _ => library.MemoryDescInitByTag(md.Pointer, 2, dims, OneDnn.DataTypeF32, OneDnn.TagNc),
            }, "dnnl_memory_desc_init_by_tag");
            uint flags = OneDnn.UseScale | OneDnn.UseShift;
            float epsF = (float)eps;
            OneDnnLibrary.Check(library.BatchNormForwardDescInit(forwardDesc.Pointer, OneDnn.ForwardTraining, md.Pointer, epsF, flags),
                "dnnl_batch_normalization_forward_desc_init");
            IntPtr pd;
            OneDnnLibrary.Check(library.PrimitiveDescCreate(&pd, forwardDesc.Pointer, IntPtr.Zero, engine, IntPtr.Zero),
                "dnnl_primitive_desc_create (batch normalization forward training)");
            _forwardPd = Own(new DnnlHandle(pd, library.PrimitiveDescDestroy));
            OneDnnLibrary.Check(library.BatchNormBackwardDescInit(backwardDesc.Pointer, OneDnn.Backward, md.Pointer, md.Pointer, epsF, flags),
                "dnnl_batch_normalization_backward_desc_init");
            OneDnnLibrary.Check(library.PrimitiveDescCreate(&pd, backwardDesc.Pointer, IntPtr.Zero, engine, _forwardPd.Value),
                "dnnl_primitive_desc_create (batch normalization backward)");
            _backwardPd = Own(new DnnlHandle(pd, library.PrimitiveDescDestroy));
            IntPtr primitive;
            OneDnnLibrary.Check(library.PrimitiveCreate(&primitive, _backwardPd.Value), "dnnl_primitive_create (batch normalization backward)");
            _backward = Own(new DnnlHandle(primitive, library.PrimitiveDestroy));
            ForwardImplementation = ImplInfo(_forwardPd);
            BackwardImplementation = ImplInfo(_backwardPd);

            var args = Arguments(_backwardPd, "backward",
                (OneDnn.ArgSrc, _x), (OneDnn.ArgMean, _mean), (OneDnn.ArgVariance, _variance), (OneDnn.ArgDiffDst, _dout),
                (OneDnn.ArgScale, _gamma), (OneDnn.ArgShift, _beta),
                (OneDnn.ArgDiffSrc, _dx), (OneDnn.ArgDiffScale, _dgamma), (OneDnn.ArgDiffShift, _dbeta));
            _backwardArgs = Own(new AlignedBuffer(Math.Max(1, args.Count) * sizeof(DnnlExecArg)));
            var slots = new Span<DnnlExecArg>(_backwardArgs.Pointer, args.Count);
            for (int k = 0; k < args.Count; k++) slots[k] = args[k];
            _backwardArgCount = args.Count;
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The batch's shape, N×C×H×W (an N×D batch is N×D×1×1).</summary>
    public SpatialShape Shape { get; }

    /// <summary>Channels (the columns of an N×D batch): the length of gamma, beta, the statistics and their gradients.</summary>
    public int Channels => Shape.C;

    private int Count => (int)Shape.Count;

    /// <summary>OpenMP threads the primitives run on.</summary>
    public int Threads { get; }

    /// <summary>How the batch is described to oneDNN.</summary>
    public OneDnnLayout Layout { get; }

    /// <summary>oneDNN's name of the forward-training implementation it chose (dnnl_query_impl_info_str), e.g. "bnorm_jit:avx512_core".</summary>
    public string ForwardImplementation { get; } = "";

    /// <summary>oneDNN's name of the backward implementation it chose, e.g. "bnorm_jit:avx512_core".</summary>
    public string BackwardImplementation { get; } = "";

    /// <summary>Input batch x, N×C×H×W values in <see cref="Layout"/> order (native memory owned by this object).</summary>
    public Span<float> X => Live(_x).Floats(Count);

    /// <summary>Upstream gradient dout, in <see cref="Layout"/> order.</summary>
    public Span<float> Dout => Live(_dout).Floats(Count);

    /// <summary>Scale gamma, one per channel.</summary>
    public Span<float> Gamma => Live(_gamma).Floats(Channels);

    /// <summary>Shift beta, one per channel.</summary>
    public Span<float> Beta => Live(_beta).Floats(Channels);

    /// <summary>Per-channel mean: an input of <see cref="Backward"/>, written by <see cref="Forward"/>.</summary>
    public Span<float> Mean => Live(_mean).Floats(Channels);

    /// <summary>Per-channel biased (1/(N·H·W)) variance: an input of <see cref="Backward"/>, written by <see cref="Forward"/>.</summary>
    public Span<float> Variance => Live(_variance).Floats(Channels);

    /// <summary>Output dx, in <see cref="Layout"/> order.</summary>
    public Span<float> Dx => Live(_dx).Floats(Count);

    /// <summary>Output dgamma (oneDNN's diff_scale), one per channel.</summary>
    public Span<float> Dgamma => Live(_dgamma).Floats(Channels);

    /// <summary>Output dbeta (oneDNN's diff_shift), one per channel.</summary>
    public Span<float> Dbeta => Live(_dbeta).Floats(Channels);

    /// <summary>
    /// Runs oneDNN's forward training on <see cref="X"/>, <see cref="Gamma"/>, <see cref="Beta"/>: writes <see cref="Mean"/> and
    /// <see cref="Variance"/> (its output y goes to a temporary buffer). Allocates; meant to run once, outside any timing.
    /// </summary>
    public void Forward()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var owned = new List<IDisposable>();
        try
        {
            _lib.SetThreads(Threads);
            IntPtr primitive;
            OneDnnLibrary.Check(_lib.PrimitiveCreate(&primitive, _forwardPd.Value), "dnnl_primitive_create (batch normalization forward training)");
            var forward = new DnnlHandle(primitive, _lib.PrimitiveDestroy);
            owned.Add(forward);
            var y = new AlignedBuffer(Shape.Count * sizeof(float));
            owned.Add(y);
            var args = Arguments(_forwardPd, "forward training",
                [(OneDnn.ArgSrc, _x), (OneDnn.ArgScale, _gamma), (OneDnn.ArgShift, _beta),
                 (OneDnn.ArgDst, y), (OneDnn.ArgMean, _mean), (OneDnn.ArgVariance, _variance), (OneDnn.ArgWorkspace, null)], owned);
            var array = args.ToArray();
            fixed (DnnlExecArg* p = array)
            {
                OneDnnLibrary.Check(_lib.PrimitiveExecute(forward.Value, _stream.Value, array.Length, p), "dnnl_primitive_execute (batch normalization forward training)");
            }
            OneDnnLibrary.Check(_lib.StreamWait(_stream.Value), "dnnl_stream_wait");
        }
        finally
        {
            for (int k = owned.Count - 1; k >= 0; k--) owned[k].Dispose();
        }
    }

    /// <summary>
    /// One backward pass: dx, dgamma, dbeta from x, dout, gamma, mean and variance, on the prepared buffers and
    /// <see cref="Threads"/> threads; returns when the stream has finished. No managed allocation.
    /// </summary>
    public void Backward()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _lib.SetThreads(Threads);
        OneDnnLibrary.Check(_lib.PrimitiveExecute(_backward.Value, _stream.Value, _backwardArgCount, (DnnlExecArg*)_backwardArgs.Pointer),
            "dnnl_primitive_execute (batch normalization backward)");
        OneDnnLibrary.Check(_lib.StreamWait(_stream.Value), "dnnl_stream_wait");
    }

    /// <summary>Releases the primitives, memory objects, stream, engine and buffers (in reverse order of creation).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        for (int k = _owned.Count - 1; k >= 0; k--) _owned[k].Dispose();
        _owned.Clear();
    }

    private T Own<T>(T resource) where T : IDisposable
    {
        _owned.Add(resource);
        return resource;
    }

    private AlignedBuffer Live(AlignedBuffer buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return buffer;
    }

    private string ImplInfo(DnnlHandle pd)
    {
        byte* name = null;
        OneDnnLibrary.Check(_lib.PrimitiveDescQuery(pd.Value, OneDnn.QueryImplInfoStr, 0, &name), "dnnl_primitive_desc_query (impl_info_str)");
        return name is null ? "" : Marshal.PtrToStringUTF8((IntPtr)name) ?? "";
    }

    private List<DnnlExecArg> Arguments(DnnlHandle pd, string what, params (int Arg, AlignedBuffer? Buffer)[] wanted) =>
        Arguments(pd, what, wanted, _owned);

    /// <summary>
    /// The execution arguments of <paramref name="pd"/>: for each wanted argument that the primitive uses (its
    /// dnnl_query_exec_arg_md has a non-zero size), a dnnl_memory_t over the given buffer, checked to be large enough;
    /// an argument with no buffer (the workspace) gets one of its own. Memory objects go to <paramref name="owner"/>.
    /// </summary>
    private List<DnnlExecArg> Arguments(DnnlHandle pd, string what, (int Arg, AlignedBuffer? Buffer)[] wanted, List<IDisposable> owner)
    {
        var args = new List<DnnlExecArg>(wanted.Length);
        foreach (var (arg, given) in wanted)
        {
            void* md = _lib.PrimitiveDescQueryMd(pd.Value, OneDnn.QueryExecArgMd, arg);
            long size = md is null ? 0 : (long)_lib.MemoryDescGetSize(md);
            if (size == 0) continue;
            var buffer = given;
            if (buffer is null)
            {
                buffer = new AlignedBuffer(size);
                owner.Add(buffer);
            }
            if (size > buffer.Bytes)
                throw new OneDnnException($"oneDNN: the {what} primitive wants {size} bytes for argument {arg}; its buffer has {buffer.Bytes}");
            IntPtr memory;
            OneDnnLibrary.Check(_lib.MemoryCreate(&memory, md, _engine.Value, buffer.Pointer), $"dnnl_memory_create ({what}, argument {arg})");
            var handle = new DnnlHandle(memory, _lib.MemoryDestroy);
            owner.Add(handle);
            args.Add(new DnnlExecArg { Arg = arg, Memory = handle.Value });
        }
        return args;
    }
}
