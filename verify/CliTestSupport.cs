using System.Text.Json;
using System.Text.Json.Nodes;
using BnVerify.Bench.Cli;

namespace BnVerify.Verify;

/// <summary>The outcome of one in-process run of the command line.</summary>
public sealed record CliRun(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>The lines written to stderr.</summary>
    public string[] ErrorLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}

/// <summary>Runs <see cref="Cli.Run(string[], TextWriter, TextWriter, OutputStyle)"/> in process, and owns a temporary folder for case and results files.</summary>
public sealed class CliFixture : IDisposable
{
    public CliFixture()
    {
        Folder = Path.Combine(Path.GetTempPath(), "bnverify-cli-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Folder);
    }

    /// <summary>A fresh temporary folder, deleted on dispose.</summary>
    public string Folder { get; }

    /// <summary>The shipped golden cases, copied beside the test assembly.</summary>
    public static string GoldenFolder => Path.Combine(AppContext.BaseDirectory, "golden", "torch");

    public static CliRun Run(params string[] args) => Run(OutputStyle.Plain, args);

    /// <summary>Runs the command line with its output laid out as <paramref name="style"/> says (a terminal of some width, or redirected).</summary>
    public static CliRun Run(OutputStyle style, params string[] args)
    {
        var stdout = new StringWriter { NewLine = "\n" };
        var stderr = new StringWriter { NewLine = "\n" };
        int code = Cli.Run(args, stdout, stderr, style);
        return new CliRun(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary><paramref name="text"/> with every run of whitespace made one space: text wrapped at spaces reads as it did before.</summary>
    public static string Normalized(string text) => string.Join(' ', text.Split((char[])[' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries));

    /// <summary>A new empty sub-folder of <see cref="Folder"/>.</summary>
    public string NewFolder()
    {
        string path = Path.Combine(Folder, Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Writes <paramref name="text"/> to <paramref name="name"/> in a new sub-folder; returns the file's path.</summary>
    public string WriteCase(string name, string text)
    {
        string path = Path.Combine(NewFolder(), name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>A golden case as a mutable JSON tree.</summary>
    public static JsonObject Golden(string name = "normal-3x4") =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(GoldenFolder, name + ".json")))!.AsObject();

    public static string Json(JsonNode node) => node.ToJsonString(new JsonSerializerOptions { WriteIndented = false });

    public void Dispose()
    {
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary folder is harmless.
        }
    }
}
