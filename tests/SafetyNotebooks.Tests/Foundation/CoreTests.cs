using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace SafetyNotebooks.Tests.Foundation;

public class CoreTests
{
    [Fact]
    public void AtomicFile_leaves_no_partial_file_when_the_writer_throws()
    {
        var dir = TestDirs.Fresh();
        var path = Path.Combine(dir, "out.txt");
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s => { s.WriteByte(1); throw new InvalidOperationException("boom"); }));
        Assert.Empty(Directory.GetFiles(dir));
        AtomicFile.WriteAllText(path, "hello");
        Assert.Equal("hello", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(dir));
    }

    [Theory]
    [InlineData("../x")]
    [InlineData("a/../../x")]
    [InlineData("/etc/passwd")]
    [InlineData("")]
    public void SafePath_refuses_paths_that_escape(string relative)
    {
        Assert.Throws<BadInputException>(() => SafePath.Combine("/tmp/root", relative, "index.json"));
    }

    [Property]
    public Property SafePath_results_stay_inside_the_root() =>
        Prop.ForAll(Gen.Elements("a", "b", "..", ".", "c.txt", "d").ArrayOf().Where(a => a.Length > 0).ToArbitrary(), parts =>
        {
            var rel = string.Join('/', parts);
            try
            {
                var full = SafePath.Combine("/tmp/root", rel);
                return full == "/tmp/root" || full.StartsWith("/tmp/root/", StringComparison.Ordinal);
            }
            catch (BadInputException) { return true; }
        });
}

public static class TestDirs
{
    /// <summary>A new empty folder under the system temp folder.</summary>
    public static string Fresh([System.Runtime.CompilerServices.CallerMemberName] string name = "")
    {
        var dir = Path.Combine(Path.GetTempPath(), "safetynb-tests", $"{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>The repository root (the folder holding SafetyNotebooks.sln).</summary>
    public static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "SafetyNotebooks.sln"))) return d.FullName;
        throw new InvalidOperationException("repository root not found");
    }
}
