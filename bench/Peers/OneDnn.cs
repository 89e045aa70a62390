// oneDNN's C API (version 2.x, /usr/include/oneapi/dnnl/dnnl.h of Debian's libdnnl-dev 2.6.3), bound at run time:
// the library is opened with NativeLibrary.TryLoad by a name the caller passes in, and every function is looked up with
// NativeLibrary.TryGetExport and called through an unmanaged function pointer. No DllImport, no process-wide resolver, no
// C shim; a missing library or a missing function is a load failure with a one-line reason, never a crash.
// The descriptors (dnnl_memory_desc_t, dnnl_batch_normalization_desc_t) are opaque here: the library fills and reads
// them, so this file only allocates room for them (see DescriptorBytes) and reads no field of them.
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace BnVerify.Bench.Peers;

/// <summary>oneDNN's <c>dnnl_status_t</c> (dnnl_types.h): what every C API call returns.</summary>
public enum DnnlStatus
{
    /// <summary>dnnl_success: the call succeeded.</summary>
    Success = 0,

    /// <summary>dnnl_out_of_memory.</summary>
    OutOfMemory = 1,

    /// <summary>dnnl_invalid_arguments: an argument was invalid.</summary>
    InvalidArguments = 2,

    /// <summary>dnnl_unimplemented: no implementation exists for these arguments.</summary>
    Unimplemented = 3,

    /// <summary>dnnl_iterator_ends: the primitive-descriptor iterator reached its end.</summary>
    IteratorEnds = 4,

    /// <summary>dnnl_runtime_error: a failure inside the library.</summary>
    RuntimeError = 5,

    /// <summary>dnnl_not_required: the queried object is not required.</summary>
    NotRequired = 6,
}

/// <summary>A oneDNN C API call that returned a status other than dnnl_success: names the call and the status.</summary>
public sealed class OneDnnException : Exception
{
    /// <summary>The failure of <paramref name="call"/> with <paramref name="status"/>.</summary>
    public OneDnnException(string call, DnnlStatus status)
        : base($"oneDNN: {call} failed with status {StatusName(status)} ({(int)status})")
    {
        Call = call;
        Status = status;
    }

    /// <summary>A failure that is not a status (for example a missing output).</summary>
    public OneDnnException(string message) : base(message)
    {
        Call = "";
    }

    /// <summary>The C function that failed, e.g. <c>dnnl_primitive_desc_create</c>.</summary>
    public string Call { get; }

    /// <summary>The status it returned.</summary>
    public DnnlStatus Status { get; }

    private static string StatusName(DnnlStatus s) => Enum.IsDefined(s) ? "dnnl_" + s switch
    {
        DnnlStatus.OutOfMemory => "out_of_memory",
        DnnlStatus.InvalidArguments => "invalid_arguments",
        DnnlStatus.Unimplemented => "unimplemented",
        DnnlStatus.IteratorEnds => "iterator_ends",
        DnnlStatus.RuntimeError => "runtime_error",
        DnnlStatus.NotRequired => "not_required",
        _ => "success",
    } : "unknown";
}

/// <summary>One argument of <c>dnnl_primitive_execute</c>: <c>dnnl_exec_arg_t</c> = { int arg; dnnl_memory_t memory; } (16 bytes on x86-64).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct DnnlExecArg
{
    /// <summary>The argument index, one of <see cref="OneDnn"/>'s <c>Arg*</c> values (DNNL_ARG_*).</summary>
    public int Arg;

    /// <summary>The dnnl_memory_t bound to it.</summary>
    public IntPtr Memory;
}

/// <summary>The constants of oneDNN 2.x's C API that this project uses (values from dnnl_types.h of oneDNN 2.6).</summary>
public static class OneDnn
{
    /// <summary>dnnl_cpu (dnnl_engine_kind_t).</summary>
    public const int EngineCpu = 1;

    /// <summary>dnnl_stream_default_flags.</summary>
    public const uint StreamDefaultFlags = 1;

    /// <summary>dnnl_f32 (dnnl_data_type_t).</summary>
    public const int DataTypeF32 = 3;

    /// <summary>dnnl_nc: a 2-D tensor, row-major (dnnl_format_tag_t).</summary>
    public const int TagNc = 3;

    /// <summary>dnnl_nchw (= dnnl_abcd): a 4-D tensor {N, C, H, W}, plain row-major (dnnl_format_tag_t).</summary>
    public const int TagNchw = 5;

    /// <summary>dnnl_nhwc (= dnnl_acdb): a 4-D tensor {N, C, H, W} stored channels last (dnnl_format_tag_t).</summary>
    public const int TagNhwc = 20;

    /// <summary>dnnl_forward_training (dnnl_prop_kind_t).</summary>
    public const int ForwardTraining = 64;

    /// <summary>dnnl_backward: diffs of the data and of the parameters (dnnl_prop_kind_t).</summary>
    public const int Backward = 128;

    /// <summary>dnnl_use_global_stats (dnnl_normalization_flags_t): mean and variance are inputs.</summary>
    public const uint UseGlobalStats = 0x1;

    /// <summary>dnnl_use_scale (dnnl_normalization_flags_t, oneDNN ≥ 2.3): a scale (gamma) argument.</summary>
    public const uint UseScale = 0x8;

    /// <summary>dnnl_use_shift (dnnl_normalization_flags_t, oneDNN ≥ 2.3): a shift (beta) argument.</summary>
    public const uint UseShift = 0x10;

    /// <summary>dnnl_query_impl_info_str: the implementation's name, e.g. "bnorm_jit:avx512_core".</summary>
    public const int QueryImplInfoStr = 8;

    /// <summary>dnnl_query_exec_arg_md: the memory descriptor of one execution argument.</summary>
    public const int QueryExecArgMd = 255;

    /// <summary>DNNL_RUNTIME_OMP: the library threads with OpenMP.</summary>
    public const uint RuntimeOmp = 2;

    /// <summary>DNNL_ARG_SRC.</summary>
    public const int ArgSrc = 1;

    /// <summary>DNNL_ARG_DST.</summary>
    public const int ArgDst = 17;

    /// <summary>DNNL_ARG_MEAN.</summary>
    public const int ArgMean = 49;

    /// <summary>DNNL_ARG_VARIANCE.</summary>
    public const int ArgVariance = 50;

    /// <summary>DNNL_ARG_SCALE.</summary>
    public const int ArgScale = 51;

    /// <summary>DNNL_ARG_SHIFT.</summary>
    public const int ArgShift = 52;

    /// <summary>DNNL_ARG_WORKSPACE.</summary>
    public const int ArgWorkspace = 64;

    /// <summary>DNNL_ARG_DIFF_SRC.</summary>
    public const int ArgDiffSrc = 129;

    /// <summary>DNNL_ARG_DIFF_DST.</summary>
    public const int ArgDiffDst = 145;

    /// <summary>DNNL_ARG_DIFF_SCALE.</summary>
    public const int ArgDiffScale = 255;

    /// <summary>DNNL_ARG_DIFF_SHIFT.</summary>
    public const int ArgDiffShift = 256;

    /// <summary>
    /// Bytes allocated for one opaque descriptor. oneDNN 2.6 on x86-64 has sizeof(dnnl_memory_desc_t) = 696 and
    /// sizeof(dnnl_batch_normalization_desc_t) = 3496 (measured with the installed header); 16 KiB leaves room for any 2.x.
    /// </summary>
    public const int DescriptorBytes = 16 << 10;
}

/// <summary>
/// oneDNN's C library opened at run time (default <c>libdnnl.so.2</c>, Debian's libdnnl2) with the OpenMP runtime it
/// threads with (default <c>libgomp.so.1</c>), and the C functions this project calls, as unmanaged function pointers.
/// Open it with <see cref="TryLoad"/>; the library stays loaded for the life of the process (OpenMP worker threads may
/// still run its code, so it is never unloaded).
/// </summary>
public sealed unsafe class OneDnnLibrary
{
    /// <summary>The default library name: Debian's libdnnl2 (oneDNN 2.x).</summary>
    public const string DefaultLibraryName = "libdnnl.so.2";

    /// <summary>The default OpenMP runtime: GNU libgomp, which Debian's oneDNN is built against.</summary>
    public const string DefaultOpenMpLibraryName = "libgomp.so.1";

    /// <summary>The command that installs the library on Debian or Ubuntu.</summary>
    public const string InstallCommand = "apt-get install -y libdnnl2";

    private OneDnnLibrary(string name) => Name = name;

    /// <summary>The name the library was opened by.</summary>
    public string Name { get; }

    /// <summary>The library's version, "major.minor.patch" (dnnl_version()).</summary>
    public string Version { get; private set; } = "";

    // The C functions (dnnl.h, oneDNN 2.x), in the order of use.
    internal delegate* unmanaged<IntPtr*, int, nuint, DnnlStatus> EngineCreate;
    internal delegate* unmanaged<IntPtr, DnnlStatus> EngineDestroy;
    internal delegate* unmanaged<IntPtr*, IntPtr, uint, DnnlStatus> StreamCreate;
    internal delegate* unmanaged<IntPtr, DnnlStatus> StreamWait;
    internal delegate* unmanaged<IntPtr, DnnlStatus> StreamDestroy;
    internal delegate* unmanaged<void*, int, long*, int, int, DnnlStatus> MemoryDescInitByTag;
    internal delegate* unmanaged<void*, nuint> MemoryDescGetSize;
    internal delegate* unmanaged<IntPtr*, void*, IntPtr, void*, DnnlStatus> MemoryCreate;
    internal delegate* unmanaged<IntPtr, DnnlStatus> MemoryDestroy;
    internal delegate* unmanaged<void*, int, void*, float, uint, DnnlStatus> BatchNormForwardDescInit;
    internal delegate* unmanaged<void*, int, void*, void*, float, uint, DnnlStatus> BatchNormBackwardDescInit;
    internal delegate* unmanaged<IntPtr*, void*, IntPtr, IntPtr, IntPtr, DnnlStatus> PrimitiveDescCreate;
    internal delegate* unmanaged<IntPtr, int, int, void*, DnnlStatus> PrimitiveDescQuery;
    internal delegate* unmanaged<IntPtr, int, int, void*> PrimitiveDescQueryMd;
    internal delegate* unmanaged<IntPtr, DnnlStatus> PrimitiveDescDestroy;
    internal delegate* unmanaged<IntPtr*, IntPtr, DnnlStatus> PrimitiveCreate;
    internal delegate* unmanaged<IntPtr, IntPtr, int, DnnlExecArg*, DnnlStatus> PrimitiveExecute;
    internal delegate* unmanaged<IntPtr, DnnlStatus> PrimitiveDestroy;
    internal delegate* unmanaged<int, void> OmpSetNumThreads;
    internal delegate* unmanaged<int> OmpGetMaxThreads;

    /// <summary>
    /// Opens <paramref name="libraryName"/> and <paramref name="openMpLibraryName"/> and looks up every function; on
    /// failure returns false with a one-line reason that ends with the install command. Never throws for a missing or
    /// wrong library (a oneDNN that is not 2.x, or not threaded with OpenMP, is refused with its reason).
    /// </summary>
    public static bool TryLoad(string libraryName, string openMpLibraryName,
        [NotNullWhen(true)] out OneDnnLibrary? library, [NotNullWhen(false)] out string? unavailable)
    {
        ArgumentNullException.ThrowIfNull(libraryName);
        ArgumentNullException.ThrowIfNull(openMpLibraryName);
        library = null;
        string install = $"install it with `{InstallCommand}` (Debian/Ubuntu; root)";
        if (!NativeLibrary.TryLoad(libraryName, out var dnnl))
        {
            unavailable = $"oneDNN is not available: {libraryName} could not be loaded; {install}";
            return false;
        }
        if (!NativeLibrary.TryLoad(openMpLibraryName, out var omp))
        {
            unavailable = $"oneDNN is not available: its OpenMP runtime {openMpLibraryName} could not be loaded; {install}";
            return false;
        }
        var lib = new OneDnnLibrary(libraryName);
        string? missing = null;
        IntPtr Get(IntPtr handle, string name)
        {
            if (NativeLibrary.TryGetExport(handle, name, out var f)) return f;
            missing ??= name;
            return IntPtr.Zero;
        }
        lib.EngineCreate = (delegate* unmanaged<IntPtr*, int, nuint, DnnlStatus>)Get(dnnl, "dnnl_engine_create");
        lib.EngineDestroy = (delegate* unmanaged<IntPtr, DnnlStatus>)Get(dnnl, "dnnl_engine_destroy");
        lib.StreamCreate = (delegate* unmanaged<IntPtr*, IntPtr, uint, DnnlStatus>)Get(dnnl, "dnnl_stream_create");
        lib.StreamWait = (delegate* unmanaged<IntPtr, DnnlStatus>)Get(dnnl, "dnnl_stream_wait");
        lib.StreamDestroy = (delegate* unmanaged<IntPtr, DnnlStatus>)Get(dnnl, "dnnl_stream_destroy");
        lib.MemoryDescInitByTag = (delegate* unmanaged<void*, int, long*, int, int, DnnlStatus>)Get(dnnl, "dnnl_memory_desc_init_by_tag");
        lib.MemoryDescGetSize = (delegate* unmanaged<void*, nuint>)Get(dnnl, "dnnl_memory_desc_get_size");
        lib.MemoryCreate = (delegate* unmanaged<IntPtr*, void*, IntPtr, void*, DnnlStatus>)Get(dnnl, "dnnl_memory_create");
        lib.MemoryDestroy = (delegate* unmanaged<IntPtr, DnnlStatus>)Get(dnnl, "dnnl_memory_destroy");
        lib.BatchNormForwardDescInit = (delegate* unmanaged<void*, int, void*, float, uint, DnnlStatus>)Get(dnnl, "dnnl_batch_normalization_forward_desc_init");
        lib.BatchNormBackwardDescInit = (delegate* unmanaged<void*, int, void*, void*, float, uint, DnnlStatus>)Get(dnnl, "dnnl_batch_normalization_backward_desc_init");
        lib.PrimitiveDescCreate = (delegate* unmanaged<IntPtr*, void*, IntPtr, IntPtr, IntPtr, DnnlStatus>)Get(dnnl, "dnnl_primitive_desc_create");
        lib.PrimitiveDescQuery = (delegate* unmanaged<IntPtr, int, int, void*, DnnlStatus>)Get(dnnl, "dnnl_primitive_desc_query");
        lib.PrimitiveDescQueryMd = (delegate* unmanaged<IntPtr, int, int, void*>)Get(dnnl, "dnnl_primitive_desc_query_md");
        lib.PrimitiveDescDestroy = (delegate* unmanaged<IntPtr, DnnlStatus>)Get(dnnl, "dnnl_primitive_desc_destroy");
        lib.PrimitiveCreate = (delegate* unmanaged<IntPtr*, IntPtr, DnnlStatus>)Get(dnnl, "dnnl_primitive_create");
        lib.PrimitiveExecute = (delegate* unmanaged<IntPtr, IntPtr, int, DnnlExecArg*, DnnlStatus>)Get(dnnl, "dnnl_primitive_execute");
        lib.PrimitiveDestroy = (delegate* unmanaged<IntPtr, DnnlStatus>)Get(dnnl, "dnnl_primitive_destroy");
        var version = (delegate* unmanaged<int*>)Get(dnnl, "dnnl_version");
        lib.OmpSetNumThreads = (delegate* unmanaged<int, void>)Get(omp, "omp_set_num_threads");
        lib.OmpGetMaxThreads = (delegate* unmanaged<int>)Get(omp, "omp_get_max_threads");
        if (missing is not null)
        {
            unavailable = $"oneDNN is not available: {libraryName} or {openMpLibraryName} has no function {missing} (this project calls oneDNN's 2.x C API); {install}";
            return false;
        }
        // dnnl_version_t = { int major, minor, patch; const char *hash; unsigned cpu_runtime, gpu_runtime; }: cpu_runtime at byte 24.
        int* v = version();
        lib.Version = $"{v[0]}.{v[1]}.{v[2]}";
        uint cpuRuntime = *(uint*)((byte*)v + 24);
        if (v[0] != 2)
        {
            unavailable = $"oneDNN is not available: {libraryName} is version {lib.Version}; this project calls the 2.x C API; {install}";
            return false;
        }
        if (cpuRuntime != OneDnn.RuntimeOmp)
        {
            unavailable = $"oneDNN is not available: {libraryName} {lib.Version} is not threaded with OpenMP (runtime {cpuRuntime}), so its thread count cannot follow the benchmark row; {install}";
            return false;
        }
        library = lib;
        unavailable = null;
        return true;
    }

    /// <summary>Throws <see cref="OneDnnException"/> naming <paramref name="call"/> unless <paramref name="status"/> is dnnl_success.</summary>
    internal static void Check(DnnlStatus status, string call)
    {
        if (status != DnnlStatus.Success) throw new OneDnnException(call, status);
    }

    /// <summary>
    /// Sets the OpenMP thread count of the calling thread's next parallel regions (omp_set_num_threads; an OpenMP
    /// setting is per calling thread, so it is set before every primitive creation and execution that depends on it).
    /// </summary>
    internal void SetThreads(int threads) => OmpSetNumThreads(threads);

    /// <summary>The OpenMP thread count the calling thread's next parallel region would use (omp_get_max_threads).</summary>
    public int MaxThreads => OmpGetMaxThreads();
}

/// <summary>
/// A handle to a oneDNN object (engine, stream, memory, primitive descriptor, primitive), released with its
/// <c>dnnl_*_destroy</c> function. A failing destroy is reported to <see cref="SafeHandle"/> as a failed release.
/// </summary>
public sealed unsafe class DnnlHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    private readonly delegate* unmanaged<IntPtr, DnnlStatus> _destroy;

    internal DnnlHandle(IntPtr handle, delegate* unmanaged<IntPtr, DnnlStatus> destroy) : base(ownsHandle: true)
    {
        _destroy = destroy;
        SetHandle(handle);
    }

    /// <summary>The raw dnnl_* pointer (valid while this handle is not disposed).</summary>
    public IntPtr Value => DangerousGetHandle();

    /// <inheritdoc />
    protected override bool ReleaseHandle() => _destroy(handle) == DnnlStatus.Success;
}

/// <summary>Native memory aligned to 64 bytes (a cache line, the widest vector), owned by this handle and freed on dispose.</summary>
public sealed unsafe class AlignedBuffer : SafeHandleZeroOrMinusOneIsInvalid
{
    /// <summary>Allocates <paramref name="bytes"/> bytes, zeroed.</summary>
    public AlignedBuffer(long bytes) : base(ownsHandle: true)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        Bytes = bytes;
        void* p = NativeMemory.AlignedAlloc((nuint)bytes, 64);
        NativeMemory.Clear(p, (nuint)bytes);
        SetHandle((IntPtr)p);
    }

    /// <summary>Its size in bytes.</summary>
    public long Bytes { get; }

    /// <summary>The start of the memory (valid while this buffer is not disposed).</summary>
    public void* Pointer => (void*)DangerousGetHandle();

    /// <summary>The memory as <paramref name="count"/> floats.</summary>
    public Span<float> Floats(int count) =>
        (long)count * sizeof(float) <= Bytes ? new Span<float>(Pointer, count) : throw new ArgumentOutOfRangeException(nameof(count));

    /// <inheritdoc />
    protected override bool ReleaseHandle()
    {
        NativeMemory.AlignedFree((void*)handle);
        return true;
    }
}
