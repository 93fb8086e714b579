using System.Text.Json;

namespace SafetyNotebooks.Launch;

/// <summary>
/// The vocabulary a run needs: the tokenizer's own size, plus one id for the harmfulness tag when the tokenizer does not
/// already have it, padded to a multiple of 128 for the embedding matrix (PRETRAINING.md §1.5).
/// </summary>
/// <param name="TokenizerSize">Ids the tokenizer.json defines (model vocabulary and added tokens): 49152 for SmolLM2.</param>
/// <param name="Tag">The tag string, or null when the run has no tag.</param>
/// <param name="TagId">The tag's id: its existing id, or <see cref="TokenizerSize"/> when it is appended.</param>
/// <param name="TagAppended">True when the tag is new and takes the next free id.</param>
/// <param name="VocabSize">Ids the model must embed: TokenizerSize (+1 when the tag is appended).</param>
/// <param name="PaddedVocabSize">VocabSize rounded up to a multiple of 128; the extra rows are never targets.</param>
public sealed record TokenizerVocabulary(int TokenizerSize, string? Tag, int? TagId, bool TagAppended, int VocabSize, int PaddedVocabSize)
{
    public const int PaddingMultiple = 128;

    /// <summary>Reads <c>tokenizer.json</c> in <paramref name="tokenizerDir"/> and sizes the vocabulary for <paramref name="tag"/>.</summary>
    public static TokenizerVocabulary Read(string tokenizerDir, string? tag)
    {
        if (!Directory.Exists(tokenizerDir))
            throw new BadInputException("tokenizer folder does not exist", "--tokenizer", value: tokenizerDir);
        var path = Path.Combine(tokenizerDir, "tokenizer.json");
        if (!File.Exists(path))
            throw new BadInputException("the tokenizer folder has no tokenizer.json (a Hugging Face tokenizer folder is expected)", path);
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllBytes(path)); }
        catch (JsonException e) { throw new BadInputException($"not valid JSON: {e.Message}", path, inner: e); }
        using (doc) return FromTokenizerJson(doc.RootElement, tag, path);
    }

    /// <summary>Pure: the vocabulary of a parsed tokenizer.json.</summary>
    public static TokenizerVocabulary FromTokenizerJson(JsonElement root, string? tag, string source = "tokenizer.json")
    {
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        if (root.TryGetProperty("model", out var model) && model.TryGetProperty("vocab", out var vocab))
        {
            if (vocab.ValueKind == JsonValueKind.Object)
                foreach (var p in vocab.EnumerateObject())
                    ids[p.Name] = p.Value.TryGetInt32(out var id) ? id : throw new BadInputException("vocabulary id is not an integer", source, "model.vocab", p.Name);
            else if (vocab.ValueKind == JsonValueKind.Array) // Unigram: [[piece, score], ...]; the id is the position
            {
                var i = 0;
                foreach (var e in vocab.EnumerateArray()) ids[e[0].GetString() ?? ""] = i++;
            }
        }
        if (root.TryGetProperty("added_tokens", out var added) && added.ValueKind == JsonValueKind.Array)
            foreach (var t in added.EnumerateArray())
                if (t.TryGetProperty("content", out var c) && t.TryGetProperty("id", out var id) && id.TryGetInt32(out var v))
                    ids[c.GetString() ?? ""] = v;
        if (ids.Count == 0)
            throw new BadInputException("no vocabulary found (expected model.vocab or added_tokens)", source, "model.vocab");
        var size = ids.Values.Max() + 1;
        return ForSize(size, tag, tag is not null && ids.TryGetValue(tag, out var existing) ? existing : null);
    }

    /// <summary>Pure: the vocabulary for a tokenizer of <paramref name="tokenizerSize"/> ids.</summary>
    public static TokenizerVocabulary ForSize(int tokenizerSize, string? tag, int? existingTagId = null)
    {
        var appended = tag is not null && existingTagId is null;
        var vocab = tokenizerSize + (appended ? 1 : 0);
        return new TokenizerVocabulary(tokenizerSize, tag, tag is null ? null : existingTagId ?? tokenizerSize, appended,
            vocab, (int)ComputeMath.PadTo(vocab, PaddingMultiple));
    }
}
