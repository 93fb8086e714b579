using Parquet.Schema;
using SafetyNotebooks.Data;
using SafetyNotebooks.Data.Toy;

namespace SafetyNotebooks.Tests.Data;

public class BadInputTests
{
    static async Task<string> ToyFile(string dir, string name = "in.parquet", int docs = 40, int rowGroup = 10)
    {
        var path = Path.Combine(dir, name);
        await Documents.WriteAsync(path, ToyWorld.Corpus(docs, new ToyOptions(5)), new DocumentWriteOptions(RowGroupSize: rowGroup, Compression: ParquetCompression.None));
        return path;
    }

    static async Task<BadInputException> ReadFails(string path) =>
        await Assert.ThrowsAsync<BadInputException>(async () => { await foreach (var _ in Documents.ReadAsync(path)) { } });

    [Fact]
    public async Task Not_parquet_names_the_file()
    {
        var path = Path.Combine(Foundation.TestDirs.Fresh(), "notes.parquet");
        File.WriteAllText(path, "id,text\n1,hello\n");
        var e = await ReadFails(path);
        Assert.Contains(path, e.Message);
        Assert.Contains("not a Parquet file", e.Message);
    }

    [Fact]
    public async Task Truncated_file_names_the_file()
    {
        var path = await ToyFile(Foundation.TestDirs.Fresh());
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var e = await ReadFails(path);
        Assert.Contains(path, e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public async Task Corrupt_row_group_names_file_row_group_and_column()
    {
        var path = await ToyFile(Foundation.TestDirs.Fresh());
        // overwrite the middle of the data pages (the footer stays intact)
        var bytes = File.ReadAllBytes(path);
        var (_, groups) = await ParquetFiles.InspectAsync(path);
        for (var i = bytes.Length / 3; i < bytes.Length / 3 + 4000; i++) bytes[i] = 0xFF;
        File.WriteAllBytes(path, bytes);
        var e = await ReadFails(path);
        Assert.Contains(path, e.Message);
        Assert.Matches(@"row group \d+, column '[a-z_.]+'", e.Message);
    }

    [Fact]
    public async Task Missing_required_column_names_file_and_column()
    {
        var path = Path.Combine(Foundation.TestDirs.Fresh(), "no-text.parquet");
        var batch = new ParquetBatch([ParquetColumn.OfStrings("id", ["a", "b"])], 2);
        await ParquetFiles.WriteAsync(path, batch.Schema, new[] { batch }.ToAsyncEnumerable());
        var e = await ReadFails(path);
        Assert.Contains(path, e.Message);
        Assert.Contains("column 'text'", e.Message);
        Assert.Contains("missing", e.Message);
    }

    [Fact]
    public async Task Mistyped_required_column_names_file_column_and_types()
    {
        var path = Path.Combine(Foundation.TestDirs.Fresh(), "int-text.parquet");
        var batch = new ParquetBatch([ParquetColumn.OfStrings("id", ["a"]), ParquetColumn.OfValues("text", new long?[] { 5 })], 1);
        await ParquetFiles.WriteAsync(path, batch.Schema, new[] { batch }.ToAsyncEnumerable());
        var e = await ReadFails(path);
        Assert.Contains("column 'text'", e.Message);
        Assert.Contains("Int64", e.Message);
        var meta = Path.Combine(Foundation.TestDirs.Fresh(), "bad-meta.parquet");
        var b2 = new ParquetBatch([ParquetColumn.OfStrings("id", ["a"]), ParquetColumn.OfStrings("text", ["t"]), ParquetColumn.OfStrings("metadata.token_count", ["many"])], 1);
        await ParquetFiles.WriteAsync(meta, b2.Schema, new[] { b2 }.ToAsyncEnumerable());
        Assert.Contains("metadata.token_count", (await ReadFails(meta)).Message);
    }

    [Fact]
    public async Task A_job_over_a_bad_file_exits_2_and_leaves_nothing_partial()
    {
        var dir = Foundation.TestDirs.Fresh();
        var input = Path.Combine(dir, "in");
        Directory.CreateDirectory(input);
        var good = await ToyFile(input, "a.parquet");
        var bad = await ToyFile(input, "b.parquet");
        var bytes = File.ReadAllBytes(bad);
        File.WriteAllBytes(bad, bytes[..(bytes.Length - 100)]);
        var output = Path.Combine(dir, "out");
        var r = await Foundation.CliRunner.RunAsync("data", "convert", input, "--output", output);
        Assert.Equal(2, r.Code);
        Assert.Contains("b.parquet", r.Err);
        Assert.DoesNotContain("   at ", r.Err);
        Assert.False(File.Exists(Path.Combine(output, "b.parquet")));
        Assert.DoesNotContain(Directory.EnumerateFiles(output), f => f.EndsWith(".tmp"));
        // the good file was completed and is on the done-list, so a rerun after fixing the input does not redo it
        File.Copy(good, bad, overwrite: true);
        var again = await Foundation.CliRunner.RunAsync("data", "convert", input, "--output", output, "--json");
        Assert.Equal(0, again.Code);
        Assert.Contains("\"processed\":1", again.Out);
        Assert.Contains("\"skipped\":1", again.Out);
    }

    [Fact]
    public async Task Cli_head_on_a_non_parquet_file_is_exit_2()
    {
        var path = Path.Combine(Foundation.TestDirs.Fresh(), "x.parquet");
        File.WriteAllText(path, "hello");
        var r = await Foundation.CliRunner.RunAsync("data", "head", path);
        Assert.Equal(2, r.Code);
        Assert.Contains(path, r.Err);
    }
}
