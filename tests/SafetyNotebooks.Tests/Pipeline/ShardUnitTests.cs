using System.Text.Json;
using SafetyNotebooks.Data;
using SafetyNotebooks.Data.Toy;
using SafetyNotebooks.Tests.Foundation;
using SafetyNotebooks.Tokenization;

namespace SafetyNotebooks.Tests.Pipeline;

public class ShardUnitTests
{
    // one "large" file of 20 row groups in a train/ split folder, one small file in test/
    static async Task<string> Corpus()
    {
        var dir = TestDirs.Fresh();
        var docs = ToyWorld.Corpus(400, new ToyOptions(5)).ToList();
        await Documents.WriteAsync(Path.Combine(dir, "in", "train", "00000.parquet"), docs.Take(360), new DocumentWriteOptions(RowGroupSize: 18));
        await Documents.WriteAsync(Path.Combine(dir, "in", "test", "00000.parquet"), docs.Skip(360), new DocumentWriteOptions(RowGroupSize: 18));
        return dir;
    }

    [Fact]
    public async Task A_file_with_20_row_groups_splits_across_4_workers_and_the_union_matches_one_worker()
    {
        var dir = await Corpus();
        var input = Path.Combine(dir, "in");
        var units = await ShardUnits.PlanAsync(InputFiles.Find([input], InputFiles.Parquet), 5);
        Assert.Equal(5, units.Count); // test/00000 (3 row groups) whole, train/00000 in four units of 5
        Assert.All(Enumerable.Range(0, 4), i => Assert.Contains(ShardUnits.Owned(units, i, 4), u => !u.WholeFile)); // every worker gets part of the large file

        async Task Tag(string output, params string[] extra)
        {
            var r = await CliRunner.RunAsync(["tag", "--input", input, "--output", output, "--row-groups-per-unit", "5", .. extra]);
            Assert.True(r.Code == 0, r.Err);
        }
        await Tag(Path.Combine(dir, "one"));
        for (var i = 0; i < 4; i++) await Tag(Path.Combine(dir, "four"), "--shard-index", i.ToString(), "--num-shards", "4");
        Folders.AssertSame(Path.Combine(dir, "one"), Path.Combine(dir, "four"));
        var names = Folders.Files(Path.Combine(dir, "one")).Keys.ToList();
        Assert.Contains(Path.Combine("train", "00000.rg00015-00019.parquet"), names);
        Assert.Contains(Path.Combine("test", "00000.parquet"), names); // split folders are kept

        // the units hold exactly the file's rows, in order, with the same tags as tagging the whole file
        var whole = await CliRunner.RunAsync("tag", "--input", input, "--output", Path.Combine(dir, "whole"));
        Assert.Equal(0, whole.Code);
        var expected = await Documents.ReadListAsync(Path.Combine(dir, "whole", "train", "00000.parquet"));
        var parts = new List<Document>();
        foreach (var name in names.Where(n => n.StartsWith("train", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
            parts.AddRange(await Documents.ReadListAsync(Path.Combine(dir, "one", name)));
        Assert.Equal(expected, parts);
    }

    [Fact]
    public async Task Export_litdata_searches_folders_keeps_splits_and_is_byte_identical_for_1_and_3_shards_and_threads()
    {
        var dir = await Corpus();
        var tok = ByteLevelTokenizer.Write(Path.Combine(dir, "tok"));
        async Task<JsonElement> Export(string output, params string[] extra)
        {
            var r = await CliRunner.RunAsync(["export", "litdata", "--input", Path.Combine(dir, "in"), "--tokenizer", tok, "--output", output, "--chunk-bytes", "20000", "--json", .. extra]);
            Assert.True(r.Code == 0, r.Err);
            return JsonDocument.Parse(r.Out).RootElement.Clone();
        }
        var one = await Export(Path.Combine(dir, "one"));
        Assert.True(one.GetProperty("complete").GetBoolean());
        Assert.Equal(400, one.GetProperty("documents").GetInt64());
        Assert.Equal(["test", "train"], one.GetProperty("splits").EnumerateArray().Select(s => s.GetProperty("split").GetString()!));
        await Export(Path.Combine(dir, "threads"), "--threads", "2");
        var partial = await Export(Path.Combine(dir, "three"), "--shard-index", "0", "--num-shards", "3", "--row-groups-per-unit", "4");
        Assert.False(partial.GetProperty("complete").GetBoolean()); // the others' units are missing: nothing merged yet
        Assert.False(File.Exists(Path.Combine(dir, "three", "train", "index.json")));
        await Export(Path.Combine(dir, "three"), "--shard-index", "2", "--num-shards", "3", "--row-groups-per-unit", "4");
        var last = await Export(Path.Combine(dir, "three"), "--shard-index", "1", "--num-shards", "3", "--row-groups-per-unit", "4");
        Assert.True(last.GetProperty("complete").GetBoolean());
        Folders.AssertSame(Path.Combine(dir, "one"), Path.Combine(dir, "threads"));
        Folders.AssertSame(Path.Combine(dir, "one"), Path.Combine(dir, "three"));
        Assert.True(Folders.Files(Path.Combine(dir, "one", "train"), ".bin").Count > 1);
    }

    [Fact]
    public async Task Every_file_stage_reads_what_tag_writes()
    {
        var dir = await Corpus();
        var tagged = Path.Combine(dir, "tagged");
        Assert.Equal(0, (await CliRunner.RunAsync("tag", "--input", Path.Combine(dir, "in"), "--output", tagged)).Code);
        var tok = ByteLevelTokenizer.Write(Path.Combine(dir, "tok"));
        // the report: export used to stop at "no .parquet or .jsonl files" on tag's train/ and test/ folders
        var export = await CliRunner.RunAsync("export", "litdata", "--input", tagged, "--tokenizer", tok, "--output", Path.Combine(dir, "lit"));
        Assert.True(export.Code == 0, export.Err);
        Assert.True(File.Exists(Path.Combine(dir, "lit", "train", "index.json")));
        var convert = await CliRunner.RunAsync("data", "convert", tagged, "--output", Path.Combine(dir, "converted"));
        Assert.True(convert.Code == 0, convert.Err);
        Assert.True(File.Exists(Path.Combine(dir, "converted", "test", "00000.parquet")));
        var synth = await CliRunner.RunAsync("synth", "refuse", "--input", tagged, "--output", Path.Combine(dir, "refusals"), "--endpoint", "toy", "--model", "toy", "--json");
        Assert.True(synth.Code == 0, synth.Err);
        var found = JsonDocument.Parse(synth.Out).RootElement;
        Assert.Equal(2, found.GetProperty("units").GetInt32()); // train/ and test/
        Assert.True(found.GetProperty("documents").GetInt32() > 0);
    }
}
