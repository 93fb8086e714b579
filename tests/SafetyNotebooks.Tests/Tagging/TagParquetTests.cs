using SafetyNotebooks.Data;
using SafetyNotebooks.Data.Toy;
using SafetyNotebooks.Tagging;
using SafetyNotebooks.Tests.Foundation;

namespace SafetyNotebooks.Tests.Tagging;

public class TagParquetTests
{
    static async Task<string> ToyCorpus(int docs = 240, int docsPerShard = 120)
    {
        var root = TestDirs.Fresh("toy");
        await ToyExport.WriteAsync(root, docs, new ToyOptions(Seed: 3), heldOut: 1, jbPrompts: 1, docsPerShard: docsPerShard);
        return Path.Combine(root, ToyExport.Config, "train");
    }

    static async Task<List<ParquetBatch>> ReadAll(string folder)
    {
        var batches = new List<ParquetBatch>();
        foreach (var f in ShardJob.FindInputs([folder]))
            await foreach (var b in ParquetFiles.ReadBatchesAsync(f)) batches.Add(b);
        return batches;
    }

    [Fact]
    public async Task Tag_command_tags_unsafe_documents_records_counts_and_passes_every_other_column_through()
    {
        var input = await ToyCorpus();
        var output = TestDirs.Fresh("tagged");
        var r = await CliRunner.RunAsync("tag", "--input", input, "--output", output, "--rate", "0.1", "--json");
        Assert.Equal(0, r.Code);

        var before = await ReadAll(input);
        var after = await ReadAll(output);
        Assert.Equal(before.Count, after.Count);
        var plan = TagPlan.From(new TagOptions(Rate: 0.1));
        long tags = 0;
        for (var b = 0; b < before.Count; b++)
        {
            var (x, y) = (before[b], after[b]);
            Assert.Equal(typeof(int?), y.Column(Columns.TagCount).Values.GetType().GetElementType());
            var counts = y.Values<int>(Columns.TagCount);
            var scores = x.Values<int>(Columns.SafetyScore);
            for (var i = 0; i < x.RowCount; i++)
            {
                var expected = HarmfulnessTagger.TagDocument(x.Texts[i]!, x.Ids[i]!, scores[i]!.Value, plan);
                Assert.Equal(expected.Text, y.Texts[i]);
                Assert.Equal(expected.TagCount, counts[i]);
                if (scores[i] < 1) Assert.Equal(x.Texts[i], y.Texts[i]);
                tags += counts[i]!.Value;
            }
            foreach (var c in x.Columns.Where(c => c.Path is not Columns.Text and not Columns.TagCount))
                Assert.Equal(c.Values.Cast<object?>(), y.Column(c.Path).Values.Cast<object?>());
        }
        Assert.True(tags > 0);
        Assert.Contains($"\"tags\":{tags}", r.Out);
        Assert.Contains("\"byte_level_files\":2", r.Out);
        Assert.Contains("\"fallbacks\":[]", r.Out);
    }

    [Fact]
    public async Task Output_is_identical_for_any_thread_count_and_shard_split_and_a_rerun_resumes()
    {
        var input = await ToyCorpus(docs: 300, docsPerShard: 100);
        var one = TestDirs.Fresh("t1");
        var two = TestDirs.Fresh("t2");
        var sharded = TestDirs.Fresh("sharded");
        Assert.Equal(0, (await CliRunner.RunAsync("tag", "--input", input, "--output", one, "--threads", "1")).Code);
        Assert.Equal(0, (await CliRunner.RunAsync("tag", "--input", input, "--output", two, "--threads", "2")).Code);
        for (var s = 0; s < 2; s++)
            Assert.Equal(0, (await CliRunner.RunAsync("tag", "--input", input, "--output", sharded, "--shard-index", s.ToString(), "--num-shards", "2", "--threads", "3")).Code);
        var reference = (await ReadAll(one)).SelectMany(b => b.Texts).ToList();
        Assert.Equal(reference, (await ReadAll(two)).SelectMany(b => b.Texts));
        Assert.Equal(reference, (await ReadAll(sharded)).SelectMany(b => b.Texts));

        var first = await CliRunner.RunAsync("tag", "--input", input, "--output", TestDirs.Fresh("t3"), "--json");
        var again = await CliRunner.RunAsync("tag", "--input", input, "--output", one, "--json");
        Assert.Equal(0, again.Code);
        Assert.Contains("\"skipped\":3", again.Out);
        var tags = System.Text.Json.JsonDocument.Parse(first.Out).RootElement.GetProperty("tags").GetInt64();
        Assert.True(tags > 0);
        Assert.Equal(tags, System.Text.Json.JsonDocument.Parse(again.Out).RootElement.GetProperty("tags").GetInt64());
    }

    [Fact]
    public async Task A_dotted_score_field_selects_a_struct_member()
    {
        var input = await ToyCorpus(docs: 60, docsPerShard: 60);
        var output = TestDirs.Fresh("dotted");
        var r = await CliRunner.RunAsync("tag", "--input", input, "--output", output, "--score-field", "metadata.int_score", "--min-score", "3", "--rate", "1");
        Assert.Equal(0, r.Code);
        var x = (await ReadAll(input)).Single();
        var y = (await ReadAll(output)).Single();
        var edu = x.Values<long>("metadata.int_score");
        var counts = y.Values<int>(Columns.TagCount);
        Assert.All(Enumerable.Range(0, x.RowCount), i => Assert.Equal(edu[i] >= 3, counts[i] > 0));
    }

    [Theory]
    [InlineData("--rate", "1.5", "--rate")]
    [InlineData("--rate", "-0.1", "--rate")]
    [InlineData("--score-field", "no_such_column", "no_such_column")]
    [InlineData("--score-field", "metadata.url", "metadata.url")]
    public async Task Bad_options_are_exit_2_and_write_nothing(string option, string value, string named)
    {
        var input = await ToyCorpus(docs: 20, docsPerShard: 20);
        var output = Path.Combine(TestDirs.Fresh("bad"), "out");
        var r = await CliRunner.RunAsync("tag", "--input", input, "--output", output, option, value);
        Assert.Equal(2, r.Code);
        Assert.Contains(named, r.Err);
        Assert.DoesNotContain("   at ", r.Err);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public async Task Missing_scores_are_exit_2_naming_file_field_and_row_before_anything_is_written()
    {
        var dir = TestDirs.Fresh("unscored");
        var good = Path.Combine(dir, "a.parquet");
        var bad = Path.Combine(dir, "b.parquet");
        await Documents.WriteAsync(good, ToyWorld.Corpus(10));
        await Documents.WriteAsync(bad, ToyWorld.Corpus(10).Select((d, i) => i == 7 ? d with { SafetyScore = null } : d));
        var output = Path.Combine(TestDirs.Fresh("out"), "tagged");
        var r = await CliRunner.RunAsync("tag", "--input", dir, "--output", output);
        Assert.Equal(2, r.Code);
        Assert.Contains("b.parquet", r.Err);
        Assert.Contains("safety_score", r.Err);
        Assert.Contains("row 7", r.Err);
        Assert.False(Directory.Exists(output));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task Validation_reports_the_first_bad_file_in_input_order_for_any_thread_count(int threads)
    {
        // files 1 and 3 of 0..5 lack a score; with files validated in parallel, file 1 is still the one named
        var dir = TestDirs.Fresh("unscored");
        for (var f = 0; f < 6; f++)
            await Documents.WriteAsync(Path.Combine(dir, $"{f}.parquet"),
                ToyWorld.Corpus(40).Select((d, i) => f % 2 == 1 && i == 5 * f ? d with { SafetyScore = null } : d));
        var output = Path.Combine(TestDirs.Fresh("out"), "tagged");
        var r = await CliRunner.RunAsync("tag", "--input", dir, "--output", output, "--threads", threads.ToString());
        Assert.Equal(2, r.Code);
        Assert.Contains("1.parquet", r.Err);
        Assert.Contains("row 5", r.Err);
        Assert.DoesNotContain("3.parquet", r.Err);
        Assert.False(Directory.Exists(output));
    }

    [Python3Fact]
    public async Task Python_reference_gives_byte_identical_output_on_the_toy_corpus()
    {
        var docs = ToyWorld.Corpus(400, new ToyOptions(Seed: 5)).ToList();
        var options = new TagOptions(Rate: 0.05);
        var python = PythonReference.Tag(docs.Select(d => (d.Id, d.Text, d.SafetyScore!.Value)), options);
        var plan = TagPlan.From(options);
        var ours = TagColumns.Tag(docs.Select(d => d.Id).ToArray(), docs.Select(d => d.Text).ToArray(), docs.Select(d => (double?)d.SafetyScore).ToArray(), plan);
        Assert.Equal(python.Select(p => p.Text), ours.Texts);
        Assert.Equal(python.Select(p => (int?)p.TagCount), ours.TagCounts);
        Assert.True(ours.TotalTags > 0);
    }
}
