using System.Text.Json;
using FsCheck;
using FsCheck.Xunit;
using SafetyNotebooks.Data.LitData;
using SafetyNotebooks.Tokenization;

namespace SafetyNotebooks.Tests.Modeling;

public class LitDataTests
{
    static string Golden => Path.Combine(Foundation.TestDirs.RepoRoot(), "tests", "SafetyNotebooks.Tests", "Data", "golden", "litdata");
    static readonly DateTimeOffset GoldenTime = DateTimeOffset.FromUnixTimeSeconds(1764288000);

    [Fact]
    public void Writer_reproduces_the_python_golden_export_byte_for_byte()
    {
        var tok = ByteLevelTokenizer.Create();
        var docs = new[] { "hello", "a <potentially_unsafe_content> b", "é" }.Select(t => tok.Encode(t).Append(ByteLevelTokenizer.EosId).ToArray());
        var dir = Foundation.TestDirs.Fresh();
        var r = LitDataWriter.Write(dir, docs, chunkBytes: 64, updatedAt: GoldenTime);
        Assert.Equal(2, r.Chunks.Count);
        foreach (var f in new[] { "index.json", "chunk-0-0.bin", "chunk-0-1.bin" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(Golden, f)), File.ReadAllBytes(Path.Combine(dir, f)));
    }

    [Fact]
    public async Task Export_command_writes_golden_chunks_and_extended_tokenizer()
    {
        var tokDir = Foundation.TestDirs.Fresh();
        // A byte tokenizer without the tag: the export must add it with id = vocab size (257).
        var json = ByteLevelTokenizer.TokenizerJson();
        json["added_tokens"]!.AsArray().RemoveAt(1);
        File.WriteAllText(Path.Combine(tokDir, "tokenizer.json"), json.ToJsonString());
        File.WriteAllText(Path.Combine(tokDir, "tokenizer_config.json"), ByteLevelTokenizer.TokenizerConfigJson().ToJsonString());
        var input = Path.Combine(Foundation.TestDirs.Fresh(), "docs.jsonl");
        File.WriteAllLines(input, new[] { "hello", "a <potentially_unsafe_content> b", "é" }.Select(t => JsonSerializer.Serialize(new { text = t })));
        var output = Path.Combine(Foundation.TestDirs.Fresh(), "out");
        var r = await Foundation.CliRunner.RunAsync("export", "litdata", "--input", input, "--tokenizer", tokDir, "--output", output, "--chunk-bytes", "64", "--json");
        Assert.True(r.Code == 0, r.Err);
        Assert.Equal(257, JsonDocument.Parse(r.Out).RootElement.GetProperty("tag_id").GetInt32());
        foreach (var f in new[] { "chunk-0-0.bin", "chunk-0-1.bin" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(Golden, f)), File.ReadAllBytes(Path.Combine(output, f)));
        Assert.Equal(257, HfTokenizer.Load(output).TokenToId(ByteLevelTokenizer.HarmfulnessTag));

        // a rerun resumes: every unit is on the done-list, nothing is rewritten
        var before = File.GetLastWriteTimeUtc(Path.Combine(output, "chunk-0-0.bin"));
        var again = await Foundation.CliRunner.RunAsync("export", "litdata", "--input", input, "--tokenizer", tokDir, "--output", output, "--json");
        Assert.True(again.Code == 0, again.Err);
        Assert.Equal(1, JsonDocument.Parse(again.Out).RootElement.GetProperty("skipped").GetInt32());
        Assert.Equal(before, File.GetLastWriteTimeUtc(Path.Combine(output, "chunk-0-0.bin")));
        var missing = await Foundation.CliRunner.RunAsync("export", "litdata", "--input", input + ".nope", "--tokenizer", tokDir, "--output", Foundation.TestDirs.Fresh());
        Assert.Equal(2, missing.Code);
    }

    [Property(MaxTest = 40)]
    public bool Round_trip_keeps_documents_and_blocks_follow_tokens_loader(NonEmptyArray<NonNegativeInt[]> raw, PositiveInt chunk, PositiveInt block)
    {
        var docs = raw.Get.Select(d => d.Select(x => x.Get % 50000).ToArray()).ToArray();
        var dir = Foundation.TestDirs.Fresh();
        var chunkBytes = 12 + chunk.Get % 200;
        LitDataWriter.Write(dir, docs, chunkBytes);
        var reader = LitDataReader.Open(dir);
        var sameDocs = reader.Items().Select(d => string.Join(",", d)).SequenceEqual(docs.Select(d => string.Join(",", d)));
        // Every chunk respects the target unless it holds a single oversized document.
        var sized = reader.Chunks.All(c => c.ChunkBytes <= chunkBytes || c.ChunkSize == 1);
        var blockSize = 1 + block.Get % 7;
        var expected = reader.Chunks.Select((_, i) => reader.ReadItems(i).SelectMany(t => t).ToArray())
            .SelectMany(flat => Enumerable.Range(0, flat.Length / blockSize).Select(b => flat.Skip(b * blockSize).Take(blockSize).ToArray())).ToList();
        var blocks = reader.Blocks(blockSize).ToList();
        Directory.Delete(dir, true);
        return sameDocs && sized && blocks.Count == reader.BlockCount(blockSize) && blocks.Select(b => string.Join(",", b)).SequenceEqual(expected.Select(b => string.Join(",", b)));
    }

    [Fact]
    public void Reader_refuses_a_truncated_chunk()
    {
        var dir = Foundation.TestDirs.Fresh();
        foreach (var f in Directory.GetFiles(Golden)) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        File.WriteAllBytes(Path.Combine(dir, "chunk-0-0.bin"), File.ReadAllBytes(Path.Combine(dir, "chunk-0-0.bin"))[..40]);
        Assert.Contains("chunk_bytes", Assert.Throws<BadInputException>(() => LitDataReader.Open(dir)).Message);
    }
}

public class LitDataParquetTests
{
    [Fact]
    public async Task Parquet_documents_export_in_order_with_eos()
    {
        var dir = Foundation.TestDirs.Fresh();
        var parquet = Path.Combine(dir, "docs.parquet");
        await SafetyNotebooks.Data.Documents.WriteAsync(parquet, new[] { new SafetyNotebooks.Data.Document("a", "hi"), new SafetyNotebooks.Data.Document("b", "yo!") });
        var tok = ByteLevelTokenizer.Write(Path.Combine(dir, "tok"));
        var r = await LitDataExporter.ExportAsync(LitDataExporter.ReadTexts(parquet), tok, Path.Combine(dir, "out"));
        Assert.Equal(2, r.Documents);
        var items = LitDataReader.Open(Path.Combine(dir, "out")).Items().ToList();
        Assert.Equal(new[] { 'h', 'i', 256 }, items[0]);
        Assert.Equal(new[] { 'y', 'o', '!', 256 }, items[1]);
    }
}
