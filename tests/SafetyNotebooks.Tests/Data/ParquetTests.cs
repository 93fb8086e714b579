using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using SafetyNotebooks.Data;
using SafetyNotebooks.Data.Toy;

namespace SafetyNotebooks.Tests.Data;

public class ParquetTests
{
    static Document Doc(int i, string text) => new($"<urn:uuid:{i:D4}>", text,
        new DocumentMetadata("CC-MAIN-2024-10", $"https://example.org/{i}", new DateTime(2024, 3, 1, 12, 0, i % 60, DateTimeKind.Utc), "s3://x", "en", 0.97, 42 + i, 2.5, 3),
        i % 6, SafetyScoreSources.Classifier, i % 2 == 0 ? "none" : null, i % 3);

    [Fact]
    public async Task Documents_round_trip_with_row_groups_and_both_codecs()
    {
        var dir = Foundation.TestDirs.Fresh();
        var docs = Enumerable.Range(0, 25).Select(i => Doc(i, $"text {i} ünïcödé\nline")).ToList();
        foreach (var codec in new[] { ParquetCompression.Snappy, ParquetCompression.Zstd })
        {
            var path = Path.Combine(dir, $"{codec}.parquet");
            Assert.Equal(25, await Documents.WriteAsync(path, docs, new DocumentWriteOptions(RowGroupSize: 10, Compression: codec)));
            var (schema, groups) = await ParquetFiles.InspectAsync(path);
            Assert.Equal(new long[] { 10, 10, 5 }, groups);
            Assert.Equal(docs, await Documents.ReadListAsync(path));
        }
        Assert.Equal(2, Directory.GetFiles(dir).Length); // no temporaries left
    }

    [Fact]
    public async Task Released_only_files_read_with_null_toolkit_columns_and_projection_works()
    {
        var dir = Foundation.TestDirs.Fresh();
        var path = Path.Combine(dir, "r.parquet");
        await Documents.WriteAsync(path, [Doc(1, "a"), Doc(2, "b")], new DocumentWriteOptions(IncludeToolkitColumns: false));
        var back = await Documents.ReadListAsync(path);
        Assert.All(back, d => { Assert.Null(d.SafetyScore); Assert.Null(d.TagCount); Assert.NotNull(d.Metadata); });
        var batches = new List<ParquetBatch>();
        await foreach (var b in ParquetFiles.ReadBatchesAsync(path, new ParquetReadOptions(["text", "metadata.url"]))) batches.Add(b);
        Assert.Equal(["text", "metadata.url"], batches[0].Columns.Select(c => c.Path));
        Assert.Equal("https://example.org/2", batches[0].Strings("metadata.url")[1]);
    }

    [Fact]
    public async Task A_batch_can_add_and_replace_columns_including_struct_members()
    {
        var docs = Enumerable.Range(0, 4).Select(i => Doc(i, $"t{i}")).ToList();
        var batch = Documents.ToBatch(docs, includeToolkitColumns: false)
            .With("metadata.safety_score", new int?[] { 1, 2, 3, null })
            .With("text", new string?[] { "A", "B", "C", "D" })
            .With("tag_count", new int?[] { 0, 1, 2, 3 });
        Assert.Equal("metadata.safety_score", batch.Columns.First(c => c.Path.EndsWith("safety_score")).Path);
        Assert.Equal([null, 3, 2, 1], batch.Take([3, 2, 1, 0]).Values<int>("metadata.safety_score"));
        Assert.Equal([3, 3, 3, 3], Documents.ToBatch(docs).With("metadata.int_score", new long?[] { 3, 3, 3, 3 }).Int32s("metadata.int_score"));
        var path = Path.Combine(Foundation.TestDirs.Fresh(), "x.parquet");
        await ParquetFiles.WriteAsync(path, batch.Schema, new[] { batch }.ToAsyncEnumerable());
        var back = await Documents.ReadListAsync(path);
        Assert.Equal(["A", "B", "C", "D"], back.Select(d => d.Text));
        Assert.Equal([0, 1, 2, 3], back.Select(d => d.TagCount!.Value));
        await foreach (var b in ParquetFiles.ReadBatchesAsync(path))
            Assert.Equal(docs.Select(d => d.Metadata!.Url), b.Strings("metadata.url"));
    }

    [Fact]
    public async Task Null_string_members_of_a_present_struct_stay_null_through_a_file_and_a_pass_through_job()
    {
        // Parquet.Net 6.1's ReadAsync(Memory<string?>) returned such nulls as "" or as the previous column's values
        var dir = Foundation.TestDirs.Fresh();
        var docs = Enumerable.Range(0, 30).Select(i => new Document($"id{i}", $"text number {i}",
            new DocumentMetadata(Dump: i % 3 == 0 ? null : $"CC-{i}", Url: i % 2 == 0 ? $"https://example.org/{i}" : null, TokenCount: i), i % 6)).ToList();
        var input = Path.Combine(dir, "in", "a.parquet");
        await Documents.WriteAsync(input, docs, new DocumentWriteOptions(RowGroupSize: 8));
        Assert.Equal(docs, await Documents.ReadListAsync(input));
        await foreach (var b in ParquetFiles.ReadBatchesAsync(input))
        {
            Assert.All(b.Strings("metadata.file_path"), Assert.Null); // every row null, the struct present
            Assert.All(b.Strings(Columns.SafetyReason), Assert.Null);
        }
        var output = Path.Combine(dir, "out");
        await ShardJob.RunAsync([input], new ShardJobOptions(output), (b, _) => b);
        Assert.Equal(docs, await Documents.ReadListAsync(Path.Combine(output, "a.parquet")));
    }

    [Property(MaxTest = 50)]
    public Property Document_round_trip_through_a_batch_is_exact_for_any_text() =>
        Prop.ForAll(ArbMap.Default.ArbFor<string[]>(), texts =>
        {
            var docs = (texts ?? []).Select((t, i) => new Document($"id{i}", t ?? "", i % 2 == 0 ? null : new DocumentMetadata(Url: t), i % 6)).ToList();
            var back = Documents.FromBatch(Documents.ToBatch(docs));
            // a document without metadata comes back with an all-null metadata struct
            return back.Select(d => d with { Metadata = d.Metadata == new DocumentMetadata() ? null : d.Metadata }).SequenceEqual(docs);
        });

    [Fact]
    public async Task DataFrame_bridge_gives_first_rows_and_chosen_columns()
    {
        var path = Path.Combine(Foundation.TestDirs.Fresh(), "d.parquet");
        await Documents.WriteAsync(path, ToyWorld.Corpus(50, new ToyOptions(1)), new DocumentWriteOptions(RowGroupSize: 7));
        var df = await DataFrames.HeadAsync(path, 12, ["id", "safety_score", "metadata"]);
        Assert.Equal(12, df.Rows.Count);
        Assert.Equal(2 + Columns.MetadataMembers.Count, df.Columns.Count);
        Assert.Equal("toy-1-00000011", df["id"][11]);
        var fromDocs = DataFrames.FromDocuments(ToyWorld.Corpus(5, new ToyOptions(1)), 3);
        Assert.Equal(["id", "safety_score", "text"], fromDocs.Columns.Select(c => c.Name));
        Assert.Equal(3, fromDocs.Rows.Count);
    }
}
