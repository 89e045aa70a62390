using System.Diagnostics;
using BnVerify.External;
using Xunit;

namespace BnVerify.Verify;

/// <summary>
/// Paths and helpers of the external-program tests: the repository's Python adapter, examples and misbehaving test
/// programs (<c>verify/ExternalPrograms/</c>), run with Debian's <c>/usr/bin/python3</c> and its <c>python3-numpy</c>.
/// </summary>
public static class ExternalTestSupport
{
    /// <summary>The Python the tests use (Debian's, where python3-numpy installs numpy).</summary>
    public const string Python = "/usr/bin/python3";

    private static readonly Lazy<string> Root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "adapters", "python", "bnverify_adapter.py"))) return dir.FullName;
        throw new InvalidOperationException($"no adapters/python/bnverify_adapter.py above {AppContext.BaseDirectory}");
    });

    /// <summary>The repository root (the folder holding <c>adapters/</c>).</summary>
    public static string RepoRoot => Root.Value;

    /// <summary>The adapter script.</summary>
    public static string AdapterPath => Path.Combine(RepoRoot, "adapters", "python", "bnverify_adapter.py");

    /// <summary>A file under <c>examples/python/</c>.</summary>
    public static string Example(string file) => Path.Combine(RepoRoot, "examples", "python", file);

    /// <summary>A file under <c>verify/ExternalPrograms/</c>.</summary>
    public static string TestProgram(string file) => Path.Combine(RepoRoot, "verify", "ExternalPrograms", file);

    /// <summary>The words that run the adapter with <paramref name="args"/>.</summary>
    public static string[] Adapter(params string[] args) => [Python, AdapterPath, .. args];

    /// <summary>The words that run <c>fake_program.py MODE</c> (and a pid file when given).</summary>
    public static string[] Fake(string mode, string? pidFile = null) =>
        pidFile is null ? [Python, TestProgram("fake_program.py"), mode] : [Python, TestProgram("fake_program.py"), mode, pidFile];

    /// <summary>Words joined into one <c>--exec</c> command (the tests' paths hold no quotes).</summary>
    public static string ExecCommand(IEnumerable<string> words) => string.Join(" ", words.Select(w => w.Contains(' ', StringComparison.Ordinal) ? $"'{w}'" : w));

    /// <summary>Short limits for the failure tests: 2 s per request, 5 s to greet, 1 s to exit after "bye".</summary>
    public static ExternalOptions Short { get; } = new(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5)) { ShutdownGrace = TimeSpan.FromSeconds(1) };

    /// <summary>Starts <paramref name="words"/> and asserts that it fails as a program; returns the message.</summary>
    public static string StartFails(string[] words, ExternalOptions? options = null)
    {
        var e = Assert.Throws<ExternalProgramException>(() => ExternalBackward.Start(words, options ?? Short).Dispose());
        return e.Message;
    }

    /// <summary>True while process <paramref name="pid"/> exists and is not a zombie (Linux /proc).</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            int close = stat.LastIndexOf(')');
            return close < 0 || stat.Length <= close + 2 || stat[close + 2] != 'Z';
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Waits (up to <paramref name="seconds"/>) until process <paramref name="pid"/> is gone; true when it is.</summary>
    public static bool WaitGone(int pid, double seconds = 5)
    {
        var watch = Stopwatch.StartNew();
        while (IsAlive(pid))
        {
            if (watch.Elapsed.TotalSeconds > seconds) return false;
            Thread.Sleep(20);
        }
        return true;
    }

    /// <summary>Waits (up to <paramref name="seconds"/>) for a pid file the test program writes; returns the pid.</summary>
    public static int ReadPid(string path, double seconds = 10)
    {
        var watch = Stopwatch.StartNew();
        while (!File.Exists(path))
        {
            Assert.True(watch.Elapsed.TotalSeconds < seconds, $"{path} was not written within {seconds} s");
            Thread.Sleep(20);
        }
        return int.Parse(File.ReadAllText(path), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>A fresh temporary file name (not created).</summary>
    public static string TempFile(string suffix) => Path.Combine(Path.GetTempPath(), $"bnverify-external-{Guid.NewGuid():N}{suffix}");
}
