using System.Runtime.InteropServices;

namespace BnVerify.Bench.Gate;

/// <summary>
/// CPU time of the calling thread, in seconds (Linux and macOS: <c>clock_gettime(CLOCK_THREAD_CPUTIME_ID)</c>, nanosecond
/// resolution). A thread stalled on memory is still running, so this counts a memory-bound kernel's stalls as a dedicated
/// core would; what it leaves out is the time the scheduler gave the core to another process, the noise that dominates
/// wall-clock times on a shared machine. It cannot see other threads: a multi-core kernel is timed by the wall clock.
/// </summary>
internal static partial class ThreadClock
{
    private const int LinuxThreadCpuTime = 3;   // CLOCK_THREAD_CPUTIME_ID on Linux
    private const int MacThreadCpuTime = 16;    // CLOCK_THREAD_CPUTIME_ID on macOS

    /// <summary>True when this platform has a per-thread CPU clock.</summary>
    public static bool IsAvailable { get; } = Probe();

    /// <summary>The calling thread's CPU time in seconds; NaN where <see cref="IsAvailable"/> is false.</summary>
    public static double Now()
    {
        if (!IsAvailable) return double.NaN;
        ClockGetTime(OperatingSystem.IsMacOS() ? MacThreadCpuTime : LinuxThreadCpuTime, out var ts);
        return ts.Seconds + ts.Nanoseconds * 1e-9;
    }

    private static bool Probe()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return false;
        try
        {
            return ClockGetTime(OperatingSystem.IsMacOS() ? MacThreadCpuTime : LinuxThreadCpuTime, out _) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public nint Seconds;
        public nint Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);
}
