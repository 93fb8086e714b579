using SafetyNotebooks.Data;
using SafetyNotebooks.Data.Toy;

namespace SafetyNotebooks.Tests.Data;

public class ShardJobTests
{
    static async Task<(string Dir, IReadOnlyList<string> Inputs)> Corpus(int files = 6)
    {
        var dir = Foundation.TestDirs.Fresh();
        for (var s = 0; s < files; s++)
            await Documents.WriteAsync(Documents.ShardPath(Path.Combine(dir, "in"), "toy", "train", s),
                Enumerable.Range(0, 30).Select(i => ToyWorld.Document(s * 30 + i, new ToyOptions(2))), new DocumentWriteOptions(RowGroupSize: 8));
        return (dir, ShardJob.FindInputs([Path.Combine(dir, "in")]));
    }

    // a transform like the tagger's: adds a column computed from the text, every other column passes through
    static ParquetBatch CountWords(ParquetBatch b, BatchContext _) =>
        b.With("tag_count", b.Texts.Select(t => (int?)t!.Split(' ').Length).ToArray());

    static Dictionary<string, byte[]> Outputs(string dir) =>
        Directory.EnumerateFiles(dir, "*.parquet", SearchOption.AllDirectories).Where(f => !f.Contains(ShardJob.StateFolder))
            .ToDictionary(f => Path.GetRelativePath(dir, f), File.ReadAllBytes);

    [Fact]
    public async Task Outputs_keep_relative_paths_pass_columns_through_and_do_not_depend_on_threads_or_shards()
    {
        var (dir, inputs) = await Corpus();
        var root = Path.Combine(dir, "in");
        var one = await ShardJob.RunAsync(inputs, new ShardJobOptions(Path.Combine(dir, "t1"), InputRoot: root), CountWords);
        Assert.Equal(6, one.Processed);
        Assert.Equal(180, one.RowsOut);
        await ShardJob.RunAsync(inputs, new ShardJobOptions(Path.Combine(dir, "t3"), Threads: 3, InputRoot: root), CountWords);
        for (var i = 0; i < 4; i++)
            await ShardJob.RunAsync(inputs, new ShardJobOptions(Path.Combine(dir, "s4"), i, 4, InputRoot: root), CountWords);
        var expected = Outputs(Path.Combine(dir, "t1"));
        Assert.Contains(Path.Combine("toy", "train", "00005.parquet"), expected.Keys);
        foreach (var other in new[] { "t3", "s4" })
        {
            var got = Outputs(Path.Combine(dir, other));
            Assert.Equal(expected.Keys.Order(), got.Keys.Order());
            foreach (var (k, v) in expected) Assert.Equal(v, got[k]);
        }
        var docs = await Documents.ReadListAsync(Path.Combine(dir, "t1", "toy", "train", "00001.parquet"));
        var original = await Documents.ReadListAsync(inputs[1]);
        Assert.Equal(original.Select(d => d with { TagCount = null }), docs.Select(d => d with { TagCount = null }));
        Assert.All(docs, d => Assert.Equal(d.Text.Split(' ').Length, d.TagCount));
    }

    [Fact]
    public async Task A_killed_job_resumes_without_redoing_finished_files()
    {
        var (dir, inputs) = await Corpus();
        var output = Path.Combine(dir, "out");
        var options = new ShardJobOptions(output, InputRoot: Path.Combine(dir, "in"));
        var calls = 0;
        using var kill = new CancellationTokenSource();
        // "kill" the job in the middle of the fourth file
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ShardJob.RunAsync(inputs, options, (b, c) =>
        {
            if (c.RelativePath.EndsWith("00003.parquet") && c.RowGroup == 2) kill.Cancel();
            Interlocked.Increment(ref calls);
            return CountWords(b, c);
        }, ct: kill.Token));
        Assert.Equal(3, Outputs(output).Count);
        Assert.DoesNotContain(Directory.EnumerateFiles(output, "*", SearchOption.AllDirectories), f => f.EndsWith(".tmp"));
        // a leftover temporary from a hard kill is cleaned up too
        File.WriteAllText(Path.Combine(output, "toy", "train", ".00003.parquet.999.abc.tmp"), "partial");
        var seen = new List<string>();
        var resumed = await ShardJob.RunAsync(inputs, options, (b, c) => { lock (seen) seen.Add(c.RelativePath); return CountWords(b, c); });
        Assert.Equal(3, resumed.Skipped);
        Assert.Equal(3, resumed.Processed);
        Assert.DoesNotContain(seen, p => p.EndsWith("00000.parquet") || p.EndsWith("00001.parquet") || p.EndsWith("00002.parquet"));
        var fresh = Path.Combine(dir, "fresh");
        await ShardJob.RunAsync(inputs, options with { OutputDir = fresh }, CountWords);
        var a = Outputs(output);
        var b = Outputs(fresh);
        Assert.Equal(b.Keys.Order(), a.Keys.Order());
        foreach (var (k, v) in b) Assert.Equal(v, a[k]);
        Assert.DoesNotContain(Directory.EnumerateFiles(output, "*", SearchOption.AllDirectories), f => f.EndsWith(".tmp"));
    }

    [Fact]
    public async Task Transforms_can_filter_rows_and_empty_inputs_keep_their_schema()
    {
        var (dir, inputs) = await Corpus(2);
        var empty = Path.Combine(dir, "in", "toy", "train", "00009.parquet");
        await Documents.WriteAsync(empty, Array.Empty<Document>());
        var all = ShardJob.FindInputs([Path.Combine(dir, "in")]);
        var r = await ShardJob.RunAsync(all, new ShardJobOptions(Path.Combine(dir, "out"), InputRoot: Path.Combine(dir, "in")),
            (b, c) => CountWords(b, c).Where(i => b.Column("safety_score").Values.GetValue(i) is 0));
        Assert.True(r.RowsOut < r.RowsIn);
        var (schema, groups) = await ParquetFiles.InspectAsync(Path.Combine(dir, "out", "toy", "train", "00009.parquet"));
        Assert.Empty(groups);
        Assert.Contains(schema.GetDataFields(), f => f.Name == "tag_count");
        Assert.All(await Documents.ReadListAsync(Path.Combine(dir, "out", "toy", "train", "00000.parquet")), d => Assert.Equal(0, d.SafetyScore));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(3, 2)]
    [InlineData(-1, 2)]
    public void Invalid_shard_selection_is_bad_input(int index, int count) =>
        Assert.Throws<BadInputException>(() => ShardJob.SelectShard([1, 2, 3], index, count));

    [Fact]
    public void Shards_partition_the_inputs() =>
        Assert.Equal(Enumerable.Range(0, 10), Enumerable.Range(0, 3).SelectMany(i => ShardJob.SelectShard(Enumerable.Range(0, 10).ToList(), i, 3)).Order());
}
