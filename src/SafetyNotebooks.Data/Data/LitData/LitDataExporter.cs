using System.Runtime.CompilerServices;
using System.Text.Json;
using SafetyNotebooks.Tokenization;

namespace SafetyNotebooks.Data.LitData;

/// <summary>Options of a token export for LitGPT.</summary>
/// <param name="AppendEos">Append the tokenizer's EOS after every document (LitGPT's own preprocessors do).</param>
/// <param name="Tag">The harmfulness tag, added to the tokenizer as one special token when missing.</param>
/// <param name="Threads">Tokenizer threads; the output does not depend on it.</param>
public sealed record LitDataExportOptions(
    long ChunkBytes = LitDataFormat.DefaultChunkBytes,
    bool AppendEos = true,
    string Tag = ByteLevelTokenizer.HarmfulnessTag,
    int Threads = 1,
    DateTimeOffset? UpdatedAt = null);

/// <summary>
/// Documents → token ids → LitData chunks. The tokenizer is extended with the harmfulness tag (id = vocabulary
/// size when missing, 49152 for SmolLM2) and the extended tokenizer.json (+ tokenizer_config.json) is written next to
/// the data, so LitGPT and the toolkit agree on the ids.
/// </summary>
public static class LitDataExporter
{
    /// <summary>Loads the tokenizer of <paramref name="tokenizerDir"/> with <paramref name="tag"/> as a special token.</summary>
    public static (HfTokenizer Tokenizer, int TagId) TokenizerWithTag(string tokenizerDir, string tag)
    {
        var original = HfTokenizer.Load(tokenizerDir);
        var (json, id) = original.WithSpecialToken(tag);
        var configPath = Path.Combine(Directory.Exists(tokenizerDir) ? tokenizerDir : Path.GetDirectoryName(tokenizerDir)!, "tokenizer_config.json");
        var config = File.Exists(configPath) ? System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(configPath))?.AsObject() : null;
        return (HfTokenizer.FromJson(json, config, tokenizerDir), id);
    }

    public static async Task<LitDataExport> ExportAsync(IAsyncEnumerable<string> texts, string tokenizerDir, string outputDir,
        LitDataExportOptions? options = null, CancellationToken ct = default)
    {
        var o = options ?? new LitDataExportOptions();
        var (tokenizer, _) = TokenizerWithTag(tokenizerDir, o.Tag);
        int? eos = null;
        if (o.AppendEos)
            eos = tokenizer.EosId ?? throw new BadInputException("the tokenizer has no eos_token (tokenizer_config.json); pass --eos false to export without it", tokenizerDir, "eos_token");
        var result = await LitDataWriter.WriteAsync(outputDir, Tokenize(texts, tokenizer, eos, Math.Max(1, o.Threads), ct), o.ChunkBytes, o.UpdatedAt, ct);
        WriteTokenizer(tokenizer, tokenizerDir, outputDir);
        return result;
    }

    /// <summary>Writes the extended tokenizer.json (and the original tokenizer_config.json) next to the data.</summary>
    public static void WriteTokenizer(HfTokenizer tokenizer, string tokenizerDir, string outputDir)
    {
        Directory.CreateDirectory(outputDir);
        var write = new JsonSerializerOptions { WriteIndented = true };
        AtomicFile.WriteAllText(Path.Combine(outputDir, "tokenizer.json"), tokenizer.Json.ToJsonString(write));
        var configSource = Path.Combine(Directory.Exists(tokenizerDir) ? tokenizerDir : Path.GetDirectoryName(tokenizerDir)!, "tokenizer_config.json");
        if (File.Exists(configSource)) AtomicFile.WriteAllText(Path.Combine(outputDir, "tokenizer_config.json"), File.ReadAllText(configSource));
    }

    /// <summary>Tokenizes in ordered batches (parallel within a batch), so the output is the same for any thread count.</summary>
    public static async IAsyncEnumerable<int[]> Tokenize(IAsyncEnumerable<string> texts, HfTokenizer tokenizer, int? eos, int threads,
        [EnumeratorCancellation] CancellationToken ct)
    {
        const int batchSize = 512;
        var batch = new List<string>(batchSize);
        int[] Encode(string t)
        {
            var ids = tokenizer.Encode(t);
            var result = new int[ids.Count + (eos is null ? 0 : 1)];
            for (var i = 0; i < ids.Count; i++) result[i] = ids[i];
            if (eos is { } e) result[^1] = e;
            return result;
        }
        IEnumerable<int[]> EncodeBatch(List<string> b) =>
            threads == 1 ? b.Select(Encode).ToList() : b.AsParallel().AsOrdered().WithDegreeOfParallelism(threads).Select(Encode).ToList();
        await foreach (var t in texts.WithCancellation(ct))
        {
            batch.Add(t);
            if (batch.Count < batchSize) continue;
            foreach (var ids in EncodeBatch(batch)) yield return ids;
            batch.Clear();
        }
        foreach (var ids in EncodeBatch(batch)) yield return ids;
    }

    /// <summary>
    /// The texts of <paramref name="input"/>: Parquet files in the released schema (data layer) or JSONL files with a
    /// "text" field, found by the <see cref="InputFiles"/> rule (folders searched recursively, sorted).
    /// </summary>
    public static async IAsyncEnumerable<string> ReadTexts(string input, [EnumeratorCancellation] CancellationToken ct = default)
    {
        foreach (var file in InputFiles.Find([input], InputFiles.ParquetOrJsonl))
        {
            if (file.Path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase))
                await foreach (var t in ReadJsonlTexts(file.Path)) yield return t;
            else
                await foreach (var d in Documents.ReadAsync(file.Path, ct)) yield return d.Text;
        }
    }

    /// <summary>The "text" fields of a JSONL file; a line without one is bad input naming the line.</summary>
    public static async IAsyncEnumerable<string> ReadJsonlTexts(string file)
    {
        var line = 0;
        await foreach (var text in File.ReadLinesAsync(file))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            string? value;
            try { value = JsonDocument.Parse(text).RootElement.GetProperty("text").GetString(); }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
            { throw new BadInputException($"line {line}: expected a JSON object with a string \"text\"", file, "text"); }
            yield return value ?? throw new BadInputException($"line {line}: text is null", file, "text");
        }
    }
}
