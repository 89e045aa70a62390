using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.Json;

namespace BnVerify.Bench.Cli;

/// <summary>
/// The one rule for every file bnverify writes (<c>cases --json</c>, <c>check --json</c>, <c>gate --update-baseline
/// --baseline</c>): the path names a file, not a folder, in a folder that already exists (bnverify never creates one);
/// anything else is one line naming the option, exit 2, checked while the command line is parsed, before any work.
/// The file is written to a temporary file in the same folder and renamed over the target, so a reader never sees half
/// a file and, on bad input, nothing is written at all.
/// </summary>
internal static class OutputFiles
{
    /// <summary>A <c>--json FILE</c> option, checked by <see cref="Require"/>.</summary>
    public static Option<string> JsonOption(string description)
    {
        var option = new Option<string>("--json") { Description = description, HelpName = "FILE" };
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count > 0) Require(result, option.Name, result.Tokens[0].Value);
        });
        return option;
    }

    /// <summary>Adds a parse error to <paramref name="result"/> when <paramref name="path"/> breaks the rule (see <see cref="Target"/>).</summary>
    public static void Require(SymbolResult result, string option, string path)
    {
        try
        {
            Target(option, path);
        }
        catch (BadInputException e)
        {
            result.AddError(e.Message);
        }
    }

    /// <summary>The full path of the file <paramref name="option"/> names; refuses a folder, a missing parent folder or an invalid name.</summary>
    public static string Target(string option, string path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new BadInputException($"{option}: no file named (an empty value)");
        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new BadInputException($"{option} {path}: not a valid file name: {e.Message.Split(" (Parameter", 2)[0]}");
        }
        if (Directory.Exists(full) || path.EndsWith(Path.DirectorySeparatorChar) || path.EndsWith(Path.AltDirectorySeparatorChar))
            throw new BadInputException($"{option} {path}: is a folder; name a file");
        string? folder = Path.GetDirectoryName(full);
        if (folder is null || !Directory.Exists(folder))
            throw new BadInputException($"{option} {path}: folder '{folder}' does not exist (bnverify creates no folders)");
        return full;
    }

    /// <summary>Writes <paramref name="content"/> to a temporary file beside <paramref name="target"/>, then renames it over the target.</summary>
    public static void WriteAtomically(string option, string target, byte[] content)
    {
        string folder = Path.GetDirectoryName(target)!;
        string temp = Path.Combine(folder, $".{Path.GetFileName(target)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.WriteAllBytes(temp, content);
            File.Move(temp, target, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try
            {
                File.Delete(temp);
            }
            catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException)
            {
                // Leave it: the error below is the one that matters.
            }
            throw new BadInputException($"{option} {target}: cannot be written: {e.Message}");
        }
    }
}

/// <summary>The JSON files bnverify writes: indented UTF-8 ending in a newline, readable non-ASCII, and no NaN or infinity.</summary>
internal static class JsonFile
{
    /// <summary>The bytes of the document <paramref name="write"/> writes.</summary>
    public static byte[] Write(Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions
        {
            Indented = true,
            // A file, not HTML: keep '·' and 'μ' in the failure summaries readable. Quotes and control characters are still escaped.
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        }))
        {
            write(w);
        }
        stream.WriteByte((byte)'\n');
        return stream.ToArray();
    }

    /// <summary>A number, or <c>null</c> when it is not finite (JSON has no NaN or infinity).</summary>
    public static void Number(Utf8JsonWriter w, double v)
    {
        if (double.IsFinite(v)) w.WriteNumberValue(v);
        else w.WriteNullValue();
    }

    /// <summary>A named number, or <c>null</c> when it is not finite.</summary>
    public static void Number(Utf8JsonWriter w, string name, double v)
    {
        w.WritePropertyName(name);
        Number(w, v);
    }
}
