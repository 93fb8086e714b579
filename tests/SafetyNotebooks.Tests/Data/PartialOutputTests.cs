using SafetyNotebooks.Data;
using SafetyNotebooks.Data.Toy;
using SafetyNotebooks.Tests.Foundation;

namespace SafetyNotebooks.Tests.Data;

/// <summary>A job over several files whose 4th has a damaged page leaves nothing (tag) or says it is resumable and what it kept (convert), then resumes (issue 19).</summary>
public sealed class PartialOutputTests
{
    static async Task<string> FiveFiles(string root)
    {
        var d = Path.Combine(root, "D");
        Directory.CreateDirectory(d);
        var docs = ToyWorld.Corpus(50, new ToyOptions(6)).ToList();
        for (var i = 0; i < 5; i++)
            await Documents.WriteAsync(Path.Combine(d, $"f{i}.parquet"), docs.Skip(i * 10).Take(10).ToList(), new DocumentWriteOptions(Compression: ParquetCompression.None));
        return d;
    }

    /// <summary>Overwrites the middle of the data (not the footer) with garbage.</summary>
    static void DamagePages(string path)
    {
        var bytes = File.ReadAllBytes(path);
        for (var i = 8; i < bytes.Length / 3; i++) bytes[i] = 0xFF;
        File.WriteAllBytes(path, bytes);
    }

    [Theory]
    [InlineData("convert")]
    [InlineData("tag")]
    public async Task A_damaged_fourth_file_stops_the_job_resumably_and_a_rerun_finishes_it(string command)
    {
        var root = TestDirs.Fresh();
        var d = await FiveFiles(root);
        var good = File.ReadAllBytes(Path.Combine(d, "f3.parquet"));
        DamagePages(Path.Combine(d, "f3.parquet"));
        var output = Path.Combine(root, "out");
        string[] Args() => command == "tag" ? ["tag", "--input", d, "--output", output] : ["data", "convert", d, "--output", output];
        var r = await CliRunner.RunAsync(Args());
        Assert.Equal(2, r.Code);
        Assert.Contains("f3.parquet", r.Err);
        if (command == "tag")
            // tag reads every file's columns before it writes: nothing at all is left behind
            Assert.DoesNotContain(Enumerable.Range(0, 5), i => File.Exists(Path.Combine(output, $"f{i}.parquet")));
        else
        {
            // convert writes file by file: it says what it kept and that a rerun resumes
            Assert.True(r.Err.Contains("resumable"), r.Err);
            Assert.Contains("finished file(s)", r.Err);
        }
        Assert.False(File.Exists(Path.Combine(output, "f3.parquet")));
        File.WriteAllBytes(Path.Combine(d, "f3.parquet"), good);
        r = await CliRunner.RunAsync(Args());
        Assert.True(r.Code == 0, r.Err);
        Assert.All(Enumerable.Range(0, 5), i => Assert.True(File.Exists(Path.Combine(output, $"f{i}.parquet"))));
    }
}
