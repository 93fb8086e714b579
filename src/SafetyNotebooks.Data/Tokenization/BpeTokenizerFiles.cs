using SafetyNotebooks.Data;
using SafetyNotebooks.Data.LitData;

namespace SafetyNotebooks.Tokenization;

/// <summary>
/// <c>safetynb tokenizer train</c>: a byte-level BPE learned on corpus files (Parquet or JSONL, the
/// <see cref="InputFiles"/> rule), written as a Hugging Face tokenizer folder with EOS and the harmfulness tag as special
/// tokens — the miniature's stand-in for SmolLM2's fixed vocabulary.
/// </summary>
public static class BpeTokenizerFiles
{
    /// <summary>Learns <paramref name="merges"/> merges on every text of <paramref name="inputs"/> (in input order) and writes the folder.</summary>
    /// <param name="tagLstrip">The tag swallows the space before it (the miniature's choice, see MiniatureStages.TrainTokenizer).</param>
    public static async Task<HfTokenizer> TrainAsync(IReadOnlyList<string> inputs, int merges, string outputDir, bool tagLstrip = true, CancellationToken ct = default)
    {
        if (merges < 0) throw new BadInputException("must be at least 0", "--merges", value: merges.ToString());
        var texts = new List<string>();
        foreach (var file in InputFiles.Find(inputs, InputFiles.ParquetOrJsonl))
            await foreach (var t in LitDataExporter.ReadTexts(file.Path, ct)) texts.Add(t);
        return Write(texts, merges, outputDir, tagLstrip);
    }

    /// <summary>Learns the merges on <paramref name="texts"/> and writes tokenizer.json and tokenizer_config.json.</summary>
    public static HfTokenizer Write(IEnumerable<string> texts, int merges, string outputDir, bool tagLstrip = true)
    {
        var learned = ByteLevelBpeTrainer.Train(texts, new BpeTrainingOptions(merges));
        var json = ByteLevelTokenizer.TokenizerJson(learned, tagLstrip);
        Directory.CreateDirectory(outputDir);
        ByteLevelTokenizer.Write(outputDir, json);
        return HfTokenizer.FromJson(json, ByteLevelTokenizer.TokenizerConfigJson(), outputDir);
    }
}
