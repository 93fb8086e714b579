using Parquet.Serialization;

namespace SafetyNotebooks.Tests.Foundation.Hostile;

/// <summary>Messages that name what is wrong: a folder where a file is expected, a missing text column (issue 19).</summary>
public sealed class WeakMessageTests
{
    [Fact]
    public async Task Data_head_on_a_folder_says_it_is_a_folder()
    {
        var dir = TestDirs.Fresh();
        var r = await CliRunner.RunAsync("data", "head", dir);
        Assert.Equal(2, r.Code);
        Assert.Contains("is a folder", r.Err);
        Assert.Contains(dir, r.Err);
    }

    [Fact]
    public async Task Classify_batch_on_a_folder_says_it_is_a_folder()
    {
        var dir = TestDirs.Fresh();
        var r = await CliRunner.RunAsync("classify", "--model", dir, "--batch", dir);
        Assert.Equal(2, r.Code);
        Assert.Contains("is a folder", r.Err);
        Assert.Contains("--batch", r.Err);
    }

    public sealed class NoText { public string Id { get; set; } = ""; public string Body { get; set; } = ""; }

    [Fact]
    public async Task Score_on_a_file_without_text_names_the_file_and_the_column()
    {
        var dir = TestDirs.Fresh();
        var input = Path.Combine(dir, "in", "a.parquet");
        Directory.CreateDirectory(Path.GetDirectoryName(input)!);
        await ParquetSerializer.SerializeAsync(new[] { new NoText { Id = "1", Body = "x" } }, input);
        var r = await CliRunner.RunAsync("score", "--input", input, "--output", Path.Combine(dir, "out"), "--llm-endpoint", "http://127.0.0.1:9/v1", "--llm-model", "m");
        Assert.Equal(2, r.Code);
        Assert.Contains(input, r.Err);
        Assert.Contains("'text'", r.Err);
        Assert.DoesNotContain("KeyNotFound", r.Err);
        Assert.False(File.Exists(Path.Combine(dir, "out", "a.parquet")));
    }
}
