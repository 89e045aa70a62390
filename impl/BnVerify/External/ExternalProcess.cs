using System.Buffers;
using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace BnVerify.External;

/// <summary>
/// One running external program and the line protocol with it (PROTOCOL.md). Blocking I/O happens only on three
/// dedicated threads (standard output split into lines, standard error kept as a bounded tail, standard input written
/// request by request); a caller waits on them with a deadline, so a program that hangs, never reads its input or
/// never answers costs at most the time limit, never a hang. One request is in flight at a time (a lock); the first
/// failure stops the program and every later call throws the same <see cref="ExternalProgramException"/>.
/// </summary>
internal sealed class ExternalProcess : IDisposable
{
    private enum EventKind
    {
        Line,
        End,
        TooLong,
        ReadFailed,
        Written,
        WriteFailed,
    }

    /// <summary>Something the reader or writer thread saw.</summary>
    private readonly record struct ChildEvent(EventKind Kind, byte[]? Line = null, long Id = 0, Exception? Error = null);

    private const int StderrTailChars = 8192;
    private const int StderrTailLines = 6;

    private readonly Process _process;
    private readonly ExternalOptions _options;
    private readonly BlockingCollection<ChildEvent> _events = new();
    private readonly BlockingCollection<(long Id, byte[]? Bytes)> _writes = new();
    private readonly StringBuilder _stderrTail = new();
    private readonly Thread _stdoutThread;
    private readonly Thread _stderrThread;
    private readonly Thread _stdinThread;
    private readonly object _gate = new();
    private readonly List<PosixSignalRegistration> _signals = [];
    private readonly EventHandler _onExit;
    private ExternalProgramException? _failure;
    private long _lastId;
    private long _requests;
    private long _requestTicks;
    private int _disposed;

    private ExternalProcess(Process process, IReadOnlyList<string> arguments, ExternalOptions options)
    {
        _process = process;
        _options = options;
        Command = Display(arguments);
        Who = $"external program `{ExternalProtocol.Clip(Command)}`";
        // Ctrl-C, kill, a closed terminal: the program goes first, then the signal's usual course (the handler does not cancel it).
        // The runtime ends the process on SIGTERM without raising ProcessExit, so every such signal is watched itself.
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP, PosixSignal.SIGQUIT })
        {
            try
            {
                _signals.Add(PosixSignalRegistration.Create(signal, _ => KillTree()));
            }
            catch (PlatformNotSupportedException)
            {
                // Not a signal this platform has.
            }
        }
        _onExit = (_, _) => KillTree();
        AppDomain.CurrentDomain.ProcessExit += _onExit;
        _stdoutThread = new Thread(ReadStdout) { IsBackground = true, Name = "bnverify external stdout" };
        _stderrThread = new Thread(ReadStderr) { IsBackground = true, Name = "bnverify external stderr" };
        _stdinThread = new Thread(WriteStdin) { IsBackground = true, Name = "bnverify external stdin" };
        _stdoutThread.Start();
        _stderrThread.Start();
        _stdinThread.Start();
    }

    /// <summary>The command as started, words quoted where needed.</summary>
    public string Command { get; }

    /// <summary>The greeting (set once <see cref="Start"/> returns).</summary>
    public ExternalGreeting Greeting { get; private set; } = null!;

    /// <summary>How the program is named in messages: by its command until it greets, then by its name.</summary>
    private string Who { get; set; }

    /// <summary>The first failure of the program (null while it behaves); every call after it throws this again.</summary>
    public ExternalProgramException? Failure => Volatile.Read(ref _failure);

    /// <summary>Requests answered so far.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Total time from sending a request to parsing its answer, over every answered request.</summary>
    public TimeSpan RequestTime => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _requestTicks));

    /// <summary>Starts the program and reads its greeting; throws <see cref="ExternalProgramException"/> on any failure, leaving nothing running.</summary>
    public static ExternalProcess Start(IReadOnlyList<string> arguments, ExternalOptions options)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (arguments.Count == 0 || arguments[0].Length == 0) throw new ArgumentException("the command is empty", nameof(arguments));
        var start = new ProcessStartInfo(arguments[0])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            CreateNoWindow = true,
            StandardErrorEncoding = new UTF8Encoding(false),
        };
        foreach (var a in arguments.Skip(1)) start.ArgumentList.Add(a);
        if (options.WorkingDirectory is not null) start.WorkingDirectory = options.WorkingDirectory;
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new Win32Exception("no process was started");
        }
        catch (Win32Exception e)
        {
            throw new ExternalProgramException($"external program `{ExternalProtocol.Clip(Display(arguments))}` cannot be started: {e.Message}", e);
        }
        var external = new ExternalProcess(process, arguments, options);
        try
        {
            external.ReadGreeting();
            return external;
        }
        catch
        {
            external.Dispose();
            throw;
        }
    }

    private void ReadGreeting()
    {
        lock (_gate)
        {
            long deadline = Stopwatch.GetTimestamp() + Ticks(_options.StartupTimeout);
            var e = Next(deadline);
            switch (e?.Kind)
            {
                case null:
                    throw Fail($"{Who} did not greet within {Seconds(_options.StartupTimeout)}; it was stopped");
                case EventKind.Line:
                    try
                    {
                        Greeting = ExternalProtocol.ParseGreeting(e.Value.Line);
                    }
                    catch (ProtocolViolation v)
                    {
                        throw Fail($"{Who} broke the protocol at its greeting: {v.Message}");
                    }
                    Who = $"external program {Greeting.Name}";
                    return;
                default:
                    throw Fail(Ended(e.Value, "before its greeting"));
            }
        }
    }

    /// <summary>Sends <paramref name="problem"/> as one request and returns the gradients of the answer.</summary>
    public Gradients Request(BatchNormProblem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            if (_failure is not null) throw new ExternalProgramException(_failure.Message, _failure);
            long id = ++_lastId;
            string request = $"request {id} (N = {problem.N}, D = {problem.D})";
            long started = Stopwatch.GetTimestamp();
            var timeout = _options.TimeoutFor(problem);
            long deadline = started + Ticks(timeout);
            _writes.Add((id, ExternalProtocol.Request(id, problem)));
            bool written = false;
            byte[]? answer = null, second = null;
            while ((!written || answer is null) && second is null)
            {
                var e = Next(deadline);
                switch (e?.Kind)
                {
                    case null:
                        throw Fail($"{Who} did not answer {request} within {Seconds(timeout)}; it was stopped");
                    case EventKind.Written when e.Value.Id == id:
                        written = true;
                        break;
                    case EventKind.Written:
                        break;
                    case EventKind.Line when answer is null:
                        answer = e.Value.Line;
                        break;
                    case EventKind.Line:
                        // Two lines before the request was written to the end: the first is judged first (a stray line
                        // left from the previous request is named as such), else the second broke the protocol.
                        second = e.Value.Line;
                        break;
                    default:
                        throw Fail(Ended(e.Value, $"during {request}"));
                }
            }
            Gradients? gradients;
            string? error;
            try
            {
                gradients = ExternalProtocol.ParseAnswer(answer, id, problem.N, problem.D, out error);
            }
            catch (ProtocolViolation v)
            {
                throw Fail($"{Who} broke the protocol at {request}: {v.Message}");
            }
            if (second is not null)
                throw Fail($"{Who} broke the protocol at {request}: it wrote a second line before reading the whole request: {ExternalProtocol.Printable(second)}");
            if (gradients is null)
                throw Fail($"{Who} could not compute {request}; it reported: {ExternalProtocol.Clip(error ?? "")}");
            Interlocked.Increment(ref _requests);
            Interlocked.Add(ref _requestTicks, Stopwatch.GetTimestamp() - started);
            return gradients;
        }
    }

    /// <summary>The next event before <paramref name="deadline"/> (a Stopwatch timestamp), or null when none came in time.</summary>
    private ChildEvent? Next(long deadline)
    {
        long remaining = deadline - Stopwatch.GetTimestamp();
        if (remaining <= 0) return _events.TryTake(out var now) ? now : null;
        int ms = (int)Math.Min(int.MaxValue - 1, Math.Ceiling(remaining * 1000.0 / Stopwatch.Frequency));
        return _events.TryTake(out var e, ms) ? e : null;
    }

    /// <summary>The message for a program that stopped talking: its output ended, a line was too long, or it stopped reading.</summary>
    private string Ended(ChildEvent e, string when)
    {
        switch (e.Kind)
        {
            case EventKind.TooLong:
                return $"{Who} wrote a line longer than {_options.MaxLineBytes} bytes {when}; it was stopped";
            case EventKind.ReadFailed:
                return $"{Who}: its output could not be read {when}: {e.Error?.Message}; it was stopped";
        }
        // End of its output, or it stopped reading its input: it has exited, or is about to.
        if (_process.WaitForExit(Math.Max(1000, (int)_options.ShutdownGrace.TotalMilliseconds)))
        {
            _stderrThread.Join(1000);
            return $"{Who} exited with code {ExitCodeText()} {when}";
        }
        string what = e.Kind == EventKind.WriteFailed ? "closed its standard input" : "closed its standard output";
        return $"{Who} {what} {when} but kept running; it was stopped";
    }

    private string ExitCodeText()
    {
        int code = _process.ExitCode;
        return !OperatingSystem.IsWindows() && code > 128 && code < 160
            ? string.Create(CultureInfo.InvariantCulture, $"{code} (signal {code - 128})")
            : code.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Records the first failure and returns the exception to throw. The program is stopped first and its standard
    /// error read to the end (at most a second), so the tail shown holds everything it wrote before it failed: a
    /// traceback written just before an error answer is never lost to the race between the two pipes.
    /// </summary>
    private ExternalProgramException Fail(string message)
    {
        KillTree();
        if (_failure is null)
        {
            _process.WaitForExit(1000);
            _stderrThread.Join(1000);
            _failure = new ExternalProgramException(message + StderrSuffix());
        }
        return _failure;
    }

    /// <summary>"; its standard error ends: …" with the last few lines, or "" when it wrote nothing there.</summary>
    private string StderrSuffix()
    {
        string tail;
        lock (_stderrTail) tail = _stderrTail.ToString();
        var lines = tail.Split('\n').Select(l => l.TrimEnd('\r').Trim()).Where(l => l.Length > 0).TakeLast(StderrTailLines).ToList();
        if (lines.Count == 0) return "";
        string joined = string.Join(" | ", lines);
        if (joined.Length > 600) joined = "…" + joined[^600..];
        return $"; its standard error ends: {joined}";
    }

    private void ReadStdout()
    {
        var stream = _process.StandardOutput.BaseStream;
        var buffer = new byte[64 * 1024];
        var line = new ArrayBufferWriter<byte>(4096);
        try
        {
            while (true)
            {
                int read = stream.Read(buffer, 0, buffer.Length);
                if (read == 0) break;
                var chunk = buffer.AsSpan(0, read);
                while (chunk.Length > 0)
                {
                    int newline = chunk.IndexOf((byte)'\n');
                    var part = newline < 0 ? chunk : chunk[..newline];
                    if (line.WrittenCount + part.Length > _options.MaxLineBytes)
                    {
                        _events.Add(new ChildEvent(EventKind.TooLong));
                        KillTree();
                        return;
                    }
                    line.Write(part);
                    if (newline < 0) break;
                    PostLine(line);
                    chunk = chunk[(newline + 1)..];
                }
            }
            if (line.WrittenCount > 0) PostLine(line); // a last line without its '\n'
            _events.Add(new ChildEvent(EventKind.End));
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            _events.Add(new ChildEvent(EventKind.ReadFailed, Error: e));
        }
    }

    private void PostLine(ArrayBufferWriter<byte> line)
    {
        var bytes = line.WrittenSpan;
        if (bytes.Length > 0 && bytes[^1] == (byte)'\r') bytes = bytes[..^1];
        _events.Add(new ChildEvent(EventKind.Line, bytes.ToArray()));
        line.Clear();
    }

    private void ReadStderr()
    {
        var buffer = new char[4096];
        try
        {
            var reader = _process.StandardError;
            int read;
            while ((read = reader.Read(buffer, 0, buffer.Length)) > 0)
            {
                lock (_stderrTail)
                {
                    _stderrTail.Append(buffer, 0, read);
                    if (_stderrTail.Length > StderrTailChars) _stderrTail.Remove(0, _stderrTail.Length - StderrTailChars);
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The tail so far is what there is.
        }
    }

    private void WriteStdin()
    {
        Stream stdin;
        try
        {
            stdin = _process.StandardInput.BaseStream;
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
        {
            return;
        }
        try
        {
            foreach (var (id, bytes) in _writes.GetConsumingEnumerable())
            {
                if (bytes is null) break; // close its input
                try
                {
                    stdin.Write(bytes, 0, bytes.Length);
                    stdin.Flush();
                    _events.Add(new ChildEvent(EventKind.Written, Id: id));
                }
                catch (Exception e) when (e is IOException or ObjectDisposedException)
                {
                    _events.Add(new ChildEvent(EventKind.WriteFailed, Id: id, Error: e));
                    return;
                }
            }
        }
        catch (InvalidOperationException)
        {
            // CompleteAdding raced with the loop: nothing more to write.
        }
        finally
        {
            try
            {
                stdin.Dispose();
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                // Its input is gone either way.
            }
        }
    }

    /// <summary>Stops the program and every process it started. Safe from any thread, at any time, repeatedly.</summary>
    public void KillTree()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or Win32Exception or NotSupportedException or AggregateException or ObjectDisposedException)
        {
            // Already exited, never started, or already disposed (a signal racing Dispose).
        }
    }

    /// <summary>Says "bye", closes the program's input, gives it <see cref="ExternalOptions.ShutdownGrace"/> to exit, then stops it.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        foreach (var registration in _signals) registration.Dispose();
        AppDomain.CurrentDomain.ProcessExit -= _onExit;
        bool wait = _failure is null && !HasExited();
        try
        {
            _writes.Add((0, ExternalProtocol.ByeLine.ToArray()));
            _writes.Add((0, null));
        }
        catch (InvalidOperationException)
        {
            // Already completed.
        }
        _writes.CompleteAdding();
        if (wait) _process.WaitForExit((int)_options.ShutdownGrace.TotalMilliseconds);
        KillTree();
        _process.WaitForExit(1000);
        _stdoutThread.Join(1000);
        _stderrThread.Join(1000);
        _stdinThread.Join(1000);
        _process.Dispose();
    }

    private bool HasExited()
    {
        try
        {
            return _process.HasExited;
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }

    private static long Ticks(TimeSpan t) => (long)(t.TotalSeconds * Stopwatch.Frequency);

    private static string Seconds(TimeSpan t) => string.Create(CultureInfo.InvariantCulture, $"{t.TotalSeconds:0.###} s");

    /// <summary>The words joined back into one command, each quoted when it holds a blank or a quote.</summary>
    internal static string Display(IReadOnlyList<string> arguments) =>
        string.Join(" ", arguments.Select(a => a.Length > 0 && !a.Any(c => char.IsWhiteSpace(c) || c is '\'' or '"' or '\\') ? a : "'" + a.Replace("'", "'\\''", StringComparison.Ordinal) + "'"));
}
