using System.Text.RegularExpressions;
using BnVerify.Bench;
using BnVerify.Verification;
using Xunit;

namespace BnVerify.Verify;

/// <summary>
/// Dependencies run one way. Between projects the compiler enforces it (a project can only use what it references);
/// these tests pin the references themselves, and the order of the folders inside the library, so a reference that runs
/// backwards turns the suite red.
/// </summary>
public sealed class ArchitectureTests
{
    [Fact]
    public void The_library_references_no_other_BnVerify_assembly()
    {
        var references = typeof(Verifier).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToList();
        Assert.DoesNotContain(references, name => name.StartsWith("BnVerify", StringComparison.Ordinal));
    }

    [Fact]
    public void The_implementations_reference_the_library_only()
    {
        var references = typeof(Implementations.AltSimplified).Assembly.GetReferencedAssemblies().Select(a => a.Name!)
            .Where(name => name.StartsWith("BnVerify", StringComparison.Ordinal)).ToList();
        Assert.Equal(["BnVerify"], references);
    }

    [Fact]
    public void Only_the_tests_and_the_program_reference_the_mutants()
    {
        var mutants = typeof(Mutants.MutantDxSign).Assembly.GetName().Name!;
        Assert.DoesNotContain(mutants, typeof(Verifier).Assembly.GetReferencedAssemblies().Select(a => a.Name));
        Assert.DoesNotContain(mutants, typeof(Implementations.AltSimplified).Assembly.GetReferencedAssemblies().Select(a => a.Name));
    }

    /// <summary>Inside the library, each folder may use only the folders before it: Core, then Checking, Cases and External, then Doctor, then Verification.</summary>
    [Theory]
    [InlineData("Core", new string[0])]
    [InlineData("Checking", new[] { "Core" })]
    [InlineData("Cases", new[] { "Core" })]
    [InlineData("External", new[] { "Core" })]
    [InlineData("Doctor", new[] { "Core", "Checking" })]
    [InlineData("Verification", new[] { "Core", "Checking", "Cases", "Doctor" })]
    public void Library_folders_depend_only_on_earlier_ones(string folder, string[] allowed)
    {
        string root = Path.Combine(RepositoryRoot(), "impl", "BnVerify");
        var namespaces = new Dictionary<string, string> { ["Checking"] = "Checking", ["Cases"] = "Cases", ["External"] = "External", ["Doctor"] = "Doctor", ["Verification"] = "Verification" };
        var forbidden = namespaces.Keys.Where(k => k != folder && !allowed.Contains(k)).ToList();
        foreach (var file in Directory.GetFiles(Path.Combine(root, folder), "*.cs", SearchOption.AllDirectories))
        {
            string text = File.ReadAllText(file);
            foreach (var other in forbidden)
            {
                // A using directive or a qualified name of the other folder's namespace.
                Assert.False(Regex.IsMatch(text, $@"\bBnVerify\.{other}\b|^\s*using\s+{other}\b", RegexOptions.Multiline),
                    $"{Path.GetFileName(file)} in {folder} uses {other}, which comes after it");
            }
        }
    }

    [Fact]
    public void Built_in_discovery_finds_every_family()
    {
        var families = BuiltIn.Implementations.All.Select(i => i.Info.Family).Distinct().ToList();
        Assert.Contains(Family.Seed, families);
        Assert.Contains(Family.Reference, families);
        Assert.Contains(Family.Fast, families);
        Assert.Contains(Family.Mutant, families);
    }

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "BnVerify.sln"))) return dir.FullName;
        throw new InvalidOperationException("BnVerify.sln not found above the test assembly");
    }
}
