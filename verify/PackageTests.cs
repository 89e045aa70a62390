using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using System.Xml.Linq;
using Xunit;
using Xunit.Abstractions;

namespace BnVerify.Verify;

/// <summary>
/// The packages as a user gets them, from a fresh copy of the repository in a temporary folder: `dotnet pack
/// BnVerify.sln` writes exactly the library and the tool; the library package holds BnVerify.dll, its XML docs and its
/// README and nothing of the implementations or the test-only mutants; the example in examples/ restores BnVerify from
/// the packed folder and its tests pass the correct backward and fail the wrong one with the diagnosis; the tool
/// installs with `dotnet tool install --tool-path` and runs. Each expensive step runs once (<see cref="PackageFixture"/>).
/// </summary>
public sealed class PackageTests(PackageFixture fixture, ITestOutputHelper log) : IClassFixture<PackageFixture>, IDisposable
{
    /// <summary>The child processes run so far and their times, in the test's output.</summary>
    public void Dispose()
    {
        foreach (var run in fixture.TakeUnreported()) log.WriteLine(run.ToString());
    }

    [Fact]
    public void Pack_of_the_solution_writes_exactly_the_library_and_the_tool()
    {
        var packed = fixture.Packed;
        string[] names = Directory.GetFiles(packed.Folder).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal([$"BnVerify.{fixture.Version}.nupkg", $"BnVerify.Tool.{fixture.Version}.nupkg"], names);
    }

    [Fact]
    public void The_library_package_holds_BnVerify_dll_its_docs_and_readme_and_no_other_assembly()
    {
        using var zip = ZipFile.OpenRead(fixture.Packed.Library);
        var content = zip.Entries.Select(e => e.FullName)
            .Where(n => !n.StartsWith("_rels/", StringComparison.Ordinal) && !n.StartsWith("package/", StringComparison.Ordinal)
                        && n != "[Content_Types].xml")
            .Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["BnVerify.nuspec", "README.md", "lib/net10.0/BnVerify.dll", "lib/net10.0/BnVerify.xml"], content);

        var nuspec = XDocument.Load(zip.GetEntry("BnVerify.nuspec")!.Open());
        XNamespace ns = nuspec.Root!.Name.Namespace;
        var metadata = nuspec.Root.Element(ns + "metadata")!;
        Assert.Equal("BnVerify", metadata.Element(ns + "id")!.Value);
        Assert.Equal(fixture.Version, metadata.Element(ns + "version")!.Value);
        Assert.Equal("README.md", metadata.Element(ns + "readme")!.Value);
        Assert.Equal("MIT", metadata.Element(ns + "license")!.Value);
        // No dependency at all: the implementations and the mutants are neither inside nor referenced.
        Assert.Empty(metadata.Descendants(ns + "dependency"));

        using var readme = new StreamReader(zip.GetEntry("README.md")!.Open());
        Assert.Contains("Verifier.AssertCorrect", readme.ReadToEnd());
    }

    [Fact]
    public void The_tool_package_is_the_bnverify_command_with_the_golden_cases_beside_it()
    {
        using var zip = ZipFile.OpenRead(fixture.Packed.Tool);
        var names = zip.Entries.Select(e => e.FullName).ToHashSet(StringComparer.Ordinal);
        const string tools = "tools/net10.0/any/";
        Assert.Contains(tools + "BnVerify.Bench.dll", names);
        Assert.Contains(tools + "BnVerify.dll", names);
        using (var settings = new StreamReader(zip.GetEntry(tools + "DotnetToolSettings.xml")!.Open()))
            Assert.Contains("Command Name=\"bnverify\"", settings.ReadToEnd());
        var golden = Directory.GetFiles(Path.Combine(fixture.RepositoryCopy, "golden", "torch"), "*.json")
            .Select(f => tools + "golden/torch/" + Path.GetFileName(f)).ToList();
        Assert.NotEmpty(golden);
        Assert.All(golden, g => Assert.Contains(g, names));
    }

    [Fact]
    public void The_example_restored_from_the_package_passes_the_correct_backward_and_fails_the_wrong_one_with_the_diagnosis()
    {
        var run = fixture.ExampleTests;
        Assert.True(run.ExitCode != 0, "the example's test run should fail (its demonstration test fails on purpose)\n" + run.Tail);

        var results = ReadTrx(fixture.ExampleTrx);
        const string prefix = "MyBatchNorm.Tests.BackwardTests.";
        Assert.Equal(3, results.Count);
        Assert.Equal("Passed", results[prefix + "The_closed_form_is_correct"].Outcome);
        Assert.Equal("Passed", results[prefix + "The_staged_backward_as_a_delegate_is_correct"].Outcome);
        var wrong = results[prefix + "The_slip_is_caught"];
        Assert.Equal("Failed", wrong.Outcome);
        string message = wrong.Message;
        Assert.Contains("BackwardVerificationException", message);
        Assert.Contains("my-wrong: flawed", message);
        Assert.Matches(@"first failure, case \d+( \(scheduled [a-z ]+\))? \(\d+x\d+\): dx fails", message);
        Assert.Contains("The variance-path coefficient uses Σdout where Σ(dout·xhat) belongs", message);
        Assert.Matches(@"shrunk to \dx\d:", message);
        Assert.Contains("\"format\": \"bnverify-case/1\"", message);
        Assert.Contains("\"name\": \"my-wrong-counterexample\"", message);
        Assert.Contains("replay: the same options with Seed = 20261202", message);
    }

    [Fact]
    public void The_examples_passing_tests_alone_pass_as_its_readme_says()
    {
        var run = fixture.ExampleTestsWithoutDemonstration;
        Assert.True(run.ExitCode == 0, run.Tail);
        Assert.Contains("Passed:     2", run.Output);
        Assert.Contains("Failed:     0", run.Output);
    }

    [Fact]
    public void The_installed_tool_lists_and_checks_the_built_in_implementations()
    {
        var list = fixture.RunTool("list");
        Assert.True(list.ExitCode == 0, list.Tail);
        Assert.Contains("alt-simplified", list.Output);
        Assert.Contains("seed002-alt", list.Output);

        var check = fixture.RunTool("check", "--impl", "alt-simplified,seed002-alt", "--cases", "20", "--seed", "5");
        Assert.True(check.ExitCode == 0, check.Tail);
        Assert.Contains("uses Σdout where Σ(dout·xhat) belongs", CliFixture.Normalized(check.Output));
        Assert.Contains("ok: every found verdict equals the declared one (seed 5)", check.Output);
    }

    [Fact]
    public void The_installed_tool_runs_case_files_and_carries_the_golden_cases()
    {
        string golden = Path.Combine(fixture.InstalledToolFolder, "golden", "torch");
        Assert.True(Directory.Exists(golden), $"no golden cases beside the installed tool: {golden}");
        var cases = fixture.RunTool("cases", golden, "--impl", "alt-simplified,seed002-alt");
        Assert.True(cases.ExitCode == 0, cases.Tail);
        Assert.Contains($"cases: {Directory.GetFiles(golden, "*.json").Length} case(s)", cases.Output);
        Assert.Contains("ok: every found verdict equals the declared one", cases.Output);
    }

    [Fact]
    public void The_installed_tool_lists_and_checks_the_examples_built_assembly()
    {
        _ = fixture.ExampleTests; // builds the example
        string dll = fixture.ExampleAssembly;
        Assert.True(File.Exists(dll), $"the example was not built: {dll}");

        var list = fixture.RunTool("list", "--assembly", dll);
        Assert.True(list.ExitCode == 0, list.Tail);
        Assert.Contains("my-correct", list.Output);
        Assert.Contains("my-wrong", list.Output);
        Assert.Contains("alt-simplified", list.Output);

        var check = fixture.RunTool("check", "--assembly", dll, "--impl", "my-correct,my-wrong", "--cases", "20", "--seed", "5");
        Assert.True(check.ExitCode == 1, "my-wrong declares itself correct, so the verdicts differ: exit 1\n" + check.Tail);
        Assert.Matches(@"my-correct +correct +correct +0/97", check.Output);
        Assert.Matches(@"my-wrong +correct +flawed +\d+/97", check.Output);
        Assert.Contains("uses Σdout where Σ(dout·xhat) belongs", CliFixture.Normalized(check.Output));
        Assert.Contains("MISMATCH: my-wrong declared correct, found flawed (seed 5)", check.Output);
    }

    /// <summary>The failure message the READMEs show is the one the example's test really fails with.</summary>
    [Theory]
    [InlineData("README.md")]
    [InlineData("impl/BnVerify/README.md")]
    public void The_readmes_show_the_examples_real_failure_message(string document)
    {
        _ = fixture.ExampleTests;
        string message = Normalize(ReadTrx(fixture.ExampleTrx)["MyBatchNorm.Tests.BackwardTests.The_slip_is_caught"].Message);
        Assert.StartsWith("BnVerify.Verification.BackwardVerificationException : my-wrong: flawed", message);
        string readme = Normalize(File.ReadAllText(Path.Combine(fixture.RepositoryCopy, document)));
        Assert.True(readme.Contains(message, StringComparison.Ordinal),
            $"{document} does not show the failure message as it is; the message now reads:\n{message}");
    }

    private static string Normalize(string text) =>
        string.Join('\n', text.Replace("\r\n", "\n").Split('\n').Select(l => l.TrimEnd())).Trim();

    private sealed record TestResult(string Outcome, string Message);

    /// <summary>Outcome and error message of every test in a vstest TRX file, by full test name.</summary>
    private static Dictionary<string, TestResult> ReadTrx(string path)
    {
        var trx = XDocument.Load(path);
        XNamespace ns = trx.Root!.Name.Namespace;
        return trx.Descendants(ns + "UnitTestResult").ToDictionary(
            r => (string)r.Attribute("testName")!,
            r => new TestResult((string)r.Attribute("outcome")!,
                r.Element(ns + "Output")?.Element(ns + "ErrorInfo")?.Element(ns + "Message")?.Value ?? ""));
    }
}

/// <summary>The outcome of a child process: exit code and its stdout and stderr interleaved.</summary>
public sealed record ProcessRun(string Command, int ExitCode, string Output, TimeSpan Elapsed)
{
    /// <summary>The command, its exit code and how long it took.</summary>
    public override string ToString() => $"$ {Command} (exit {ExitCode}, {Elapsed.TotalSeconds:F1} s)";

    /// <summary>The command and the last 60 lines of its output, for a failure message.</summary>
    public string Tail
    {
        get
        {
            var lines = Output.Split('\n');
            return ToString() + "\n" + string.Join('\n', lines.Skip(Math.Max(0, lines.Length - 60)));
        }
    }
}

/// <summary>
/// A fresh copy of the repository (no bin, obj or .git) in a temporary folder, packed once with a unique prerelease
/// version (so a package cache can never hand back a stale BnVerify); the example's tests run once against it; the tool
/// installed once into a tool path. NuGet is confined to the temporary folder: its only package source is the packed
/// folder, and every other package (xunit, BenchmarkDotNet, ...) comes from the machine's global package folder as a
/// read-only fallback, so nothing is downloaded and nothing is written outside the temporary folder.
/// </summary>
public sealed class PackageFixture : IDisposable
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(10);

    private readonly Lazy<PackedPackages> _packed;
    private readonly Lazy<Task<ProcessRun>> _exampleTests;
    private readonly Lazy<ProcessRun> _exampleTestsWithoutDemonstration;
    private readonly Lazy<Task<string>> _tool;
    private readonly List<ProcessRun> _runs = [];
    private int _reported;

    public PackageFixture()
    {
        Root = Path.Combine(Path.GetTempPath(), "bnverify-package-tests-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Root);
        Version = "0.4.0-test." + Guid.NewGuid().ToString("N")[..12];
        RepositoryCopy = Path.Combine(Root, "repo");
        CopyRepository(FindRepository(), RepositoryCopy);
        string fallback = GlobalPackagesFolder();
        File.WriteAllText(Path.Combine(Root, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
              </packageSources>
              <fallbackPackageFolders>
                <add key="machine" value="{fallback}" />
              </fallbackPackageFolders>
            </configuration>
            """);
        _packed = new(Pack);
        // Once packed, the example's tests and the tool's installation need nothing of each other: both start together.
        _exampleTests = new(() => Task.Run(() => RunExampleTests(null)));
        _exampleTestsWithoutDemonstration = new(() =>
        {
            _ = ExampleTests; // built once, by the full run
            return RunExampleTests("Category!=Demonstration");
        });
        _tool = new(() => Task.Run(InstallTool));
    }

    /// <summary>The temporary folder everything happens in.</summary>
    public string Root { get; }

    /// <summary>The version the packages are packed with.</summary>
    public string Version { get; }

    /// <summary>The copy of the repository.</summary>
    public string RepositoryCopy { get; }

    /// <summary>The packages, packed on first use.</summary>
    public PackedPackages Packed => _packed.Value;

    /// <summary>The example's full test run (its demonstration test fails on purpose).</summary>
    public ProcessRun ExampleTests => AfterPack(_exampleTests);

    /// <summary>The example's test run without the demonstration test, as its README shows.</summary>
    public ProcessRun ExampleTestsWithoutDemonstration => _exampleTestsWithoutDemonstration.Value;

    /// <summary>The TRX file of <see cref="ExampleTests"/>.</summary>
    public string ExampleTrx => Path.Combine(Root, "example-results", "example.trx");

    /// <summary>The example's built class library (Release), for <c>--assembly</c>.</summary>
    public string ExampleAssembly => Path.Combine(RepositoryCopy, "examples", "MyBatchNorm", "bin", "Release", "net10.0", "MyBatchNorm.dll");

    /// <summary>The installed tool's own folder (where its assemblies and golden cases are).</summary>
    public string InstalledToolFolder
    {
        get
        {
            _ = AfterPack(_tool);
            string store = Path.Combine(Root, "tools", ".store", "bnverify.tool", Version);
            return Directory.GetFiles(store, "BnVerify.Bench.dll", SearchOption.AllDirectories).Select(Path.GetDirectoryName).Single()!;
        }
    }

    /// <summary>The child processes run since the last call, with their times (written to each test's output).</summary>
    public IReadOnlyList<ProcessRun> TakeUnreported()
    {
        lock (_runs)
        {
            var unreported = _runs.Skip(_reported).ToList();
            _reported = _runs.Count;
            return unreported;
        }
    }

    /// <summary>Runs the installed <c>bnverify</c> command.</summary>
    public ProcessRun RunTool(params string[] args) => Run(AfterPack(_tool), args, Root, TimeSpan.FromMinutes(5));

    /// <summary>Packs (once), starts both steps that follow the pack, and waits for <paramref name="step"/>; a failed step's assertion is rethrown as it was.</summary>
    private T AfterPack<T>(Lazy<Task<T>> step)
    {
        _ = Packed;
        _ = _exampleTests.Value;
        _ = _tool.Value;
        return step.Value.GetAwaiter().GetResult();
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private PackedPackages Pack()
    {
        string output = Path.Combine(RepositoryCopy, "artifacts", "packages");
        Require(RunDotnet(["pack", "BnVerify.sln", "-c", "Release", "-o", output, $"-p:Version={Version}"], RepositoryCopy));
        return new PackedPackages(output, Path.Combine(output, $"BnVerify.{Version}.nupkg"), Path.Combine(output, $"BnVerify.Tool.{Version}.nupkg"));
    }

    /// <summary>
    /// The example's tests as its README runs them (examples/nuget.config names ../artifacts/packages, where
    /// <see cref="Pack"/> wrote), with the freshly packed version; <paramref name="filter"/> null runs all of them.
    /// </summary>
    private ProcessRun RunExampleTests(string? filter)
    {
        _ = Packed;
        string examples = Path.Combine(RepositoryCopy, "examples");
        var args = new List<string> { "test", "MyBatchNorm.Tests", "-c", "Release", $"-p:BnVerifyVersion={Version}" };
        if (filter is null)
            args.AddRange(["--logger", "trx;LogFileName=example.trx", "--results-directory", Path.Combine(Root, "example-results")]);
        else
            args.AddRange(["--no-build", "--filter", filter]);
        return RunDotnet(args, examples);
    }

    private string InstallTool()
    {
        var packed = Packed;
        string toolPath = Path.Combine(Root, "tools");
        Require(RunDotnet(["tool", "install", "--tool-path", toolPath, "--add-source", packed.Folder, "BnVerify.Tool", "--version", Version], Root));
        string command = Path.Combine(toolPath, OperatingSystem.IsWindows() ? "bnverify.exe" : "bnverify");
        Assert.True(File.Exists(command), $"no {command} after dotnet tool install");
        return command;
    }

    private static void Require(ProcessRun run) => Assert.True(run.ExitCode == 0, run.Tail);

    private ProcessRun RunDotnet(IEnumerable<string> args, string workingDirectory) =>
        Run(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet", args, workingDirectory, StepTimeout);

    /// <summary>
    /// Runs a child process with NuGet confined to <see cref="Root"/>; kills it (and its children) after
    /// <paramref name="timeout"/> and fails with the tail of its output.
    /// </summary>
    private ProcessRun Run(string file, IEnumerable<string> args, string workingDirectory, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in args) start.ArgumentList.Add(a);
        // The child is a fresh dotnet: none of the test host's MSBuild settings leak into it.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)
                                                              || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)).ToList())
            start.Environment.Remove(key);
        start.Environment["NUGET_PACKAGES"] = Path.Combine(Root, "nuget-packages");
        start.Environment["NUGET_HTTP_CACHE_PATH"] = Path.Combine(Root, "nuget-http-cache");
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        // No MSBuild worker node outlives the build (it would hold the output pipes open and linger on a shared machine).
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        start.Environment["CI"] = "true";
        // The installed tool's launcher finds the runtime of the dotnet that runs these tests.
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host)
            start.Environment["DOTNET_ROOT"] = Path.GetDirectoryName(host);

        string command = Path.GetFileName(file) + " " + string.Join(' ', start.ArgumentList);
        var output = new StringBuilder();
        var clock = Stopwatch.StartNew();
        using var stdoutDone = new ManualResetEventSlim();
        using var stderrDone = new ManualResetEventSlim();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(e.Data, stdoutDone);
        process.ErrorDataReceived += (_, e) => Append(e.Data, stderrDone);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(TimeSpan.FromSeconds(30));
            Assert.Fail(new ProcessRun(command, -1, Snapshot(), clock.Elapsed).Tail + $"\n(killed after {timeout.TotalMinutes} min)");
        }
        // A grandchild that outlives the process may hold the pipes: wait for the end of the output a bounded time.
        stdoutDone.Wait(TimeSpan.FromSeconds(30));
        stderrDone.Wait(TimeSpan.FromSeconds(30));
        var run = new ProcessRun(command, process.ExitCode, Snapshot(), clock.Elapsed);
        lock (_runs) _runs.Add(run);
        return run;

        void Append(string? line, ManualResetEventSlim done)
        {
            if (line is null)
            {
                done.Set();
                return;
            }
            lock (output) output.Append(line).Append('\n');
        }

        string Snapshot()
        {
            lock (output) return output.ToString();
        }
    }

    /// <summary>The repository this test was built from: the folder above the test assembly holding BnVerify.sln.</summary>
    private static string FindRepository()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "BnVerify.sln")))
                return dir.FullName;
        throw new InvalidOperationException($"no BnVerify.sln above {AppContext.BaseDirectory}");
    }

    /// <summary>Copies the repository as a fresh clone would have it: no build outputs, no git folder, no local artifacts.</summary>
    private static void CopyRepository(string from, string to)
    {
        string[] skipped = ["bin", "obj", ".git", "artifacts", "TestResults", "BenchmarkDotNet.Artifacts", ".vs", ".idea"];
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
            if (Path.GetFileName(file) != ".git")
                File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var dir in Directory.GetDirectories(from))
            if (!skipped.Contains(Path.GetFileName(dir)))
                CopyRepository(dir, Path.Combine(to, Path.GetFileName(dir)));
    }

    /// <summary>The machine's global NuGet package folder, as `dotnet nuget locals global-packages --list` names it.</summary>
    private static string GlobalPackagesFolder()
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "nuget", "locals", "global-packages", "--list" }) start.ArgumentList.Add(a);
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(1)), "dotnet nuget locals did not finish");
        const string key = "global-packages:";
        string? line = stdout.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal));
        Assert.True(process.ExitCode == 0 && line is not null, $"dotnet nuget locals global-packages --list: exit {process.ExitCode}\n{stdout}{stderr.Result}");
        return line[key.Length..].Trim();
    }
}

/// <summary>The packed folder and the two packages in it.</summary>
public sealed record PackedPackages(string Folder, string Library, string Tool);
