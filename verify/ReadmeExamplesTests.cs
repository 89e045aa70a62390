using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace BnVerify.Verify;

/// <summary>
/// Documentation that cannot drift: every <c>```csharp</c> block of the READMEs is compiled, on its own, against the
/// assemblies the tests use (BnVerify, its implementations, xunit), with the SDK's implicit usings. A block that only
/// illustrates and is not meant to compile must use another fence (<c>```text</c>).
/// </summary>
public sealed class ReadmeExamplesTests
{
    /// <summary>The documents whose C# blocks must compile (paths from the repository root).</summary>
    public static TheoryData<string> Documents => new() { "README.md", "impl/BnVerify/README.md" };

    [Theory]
    [MemberData(nameof(Documents))]
    public void Every_csharp_block_compiles(string document)
    {
        string path = Path.Combine(ArchitectureTests.RepositoryRoot(), document);
        Assert.True(File.Exists(path), $"{document} is missing");
        var blocks = Blocks(File.ReadAllText(path)).ToList();
        foreach (var (line, code) in blocks)
        {
            var errors = Compile(code).Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
            Assert.True(errors.Count == 0,
                $"{document}, the csharp block at line {line} does not compile:\n" + string.Join("\n", errors.Take(5).Select(e => e.ToString())));
        }
    }

    [Fact]
    public void The_main_readme_has_compiled_examples()
    {
        string text = File.ReadAllText(Path.Combine(ArchitectureTests.RepositoryRoot(), "README.md"));
        Assert.NotEmpty(Blocks(text));
    }

    [Fact]
    public void A_block_that_does_not_compile_is_caught()
    {
        Assert.Contains(Compile("class C { void M() { undefinedName(); } }"), d => d.Severity == DiagnosticSeverity.Error);
    }

    /// <summary>The csharp blocks of a Markdown text with the line each starts at.</summary>
    private static IEnumerable<(int Line, string Code)> Blocks(string markdown)
    {
        foreach (Match m in Regex.Matches(markdown, @"^```csharp[ \t]*\r?\n(.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline))
            yield return (markdown[..m.Index].Count(c => c == '\n') + 1, m.Groups[1].Value);
    }

    private static IEnumerable<Diagnostic> Compile(string code)
    {
        const string implicitUsings = "global using System; global using System.Collections.Generic; global using System.IO; global using System.Linq; global using System.Threading; global using System.Threading.Tasks;";
        var trees = new[]
        {
            CSharpSyntaxTree.ParseText(implicitUsings, new CSharpParseOptions(LanguageVersion.Latest)),
            CSharpSyntaxTree.ParseText(code, new CSharpParseOptions(LanguageVersion.Latest)),
        };
        var compilation = CSharpCompilation.Create("ReadmeExample", trees, References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        return compilation.GetDiagnostics();
    }

    /// <summary>The framework's assemblies, and every assembly of the test's own folder (BnVerify, its implementations, xunit).</summary>
    private static readonly Lazy<IReadOnlyList<MetadataReference>> References = new(() =>
    {
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Concat(Directory.GetFiles(AppContext.BaseDirectory, "*.dll"))
            .GroupBy(Path.GetFileName, StringComparer.OrdinalIgnoreCase)
            .Select(g => g.First());
        var references = new List<MetadataReference>();
        foreach (var p in paths)
        {
            try
            {
                references.Add(MetadataReference.CreateFromFile(p));
            }
            catch (Exception e) when (e is BadImageFormatException or IOException)
            {
                // A native library in the folder: not a reference.
            }
        }
        return references;
    });
}
