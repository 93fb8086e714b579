using SafetyNotebooks.Tokenization;

namespace SafetyNotebooks.Decoding;

/// <summary>
/// A tokenizer for a model whose vocabulary is larger than the tokenizer's (padded embedding tables are common):
/// ids the tokenizer does not know decode to U+FFFD instead of failing, so generation can never crash on them.
/// </summary>
public sealed class ModelVocabularyTokenizer(ITextTokenizer inner) : ITextTokenizer
{
    public const char Replacement = '\uFFFD';

    /// <summary><paramref name="tokenizer"/> itself when it covers <paramref name="modelVocab"/>, else the guarded form.</summary>
    public static ITextTokenizer? For(ITextTokenizer? tokenizer, long modelVocab) =>
        tokenizer is null || tokenizer.VocabSize >= modelVocab ? tokenizer : new ModelVocabularyTokenizer(tokenizer);

    public int VocabSize => inner.VocabSize;

    public IReadOnlyList<int> Encode(string text, bool addSpecialTokens = false) => inner.Encode(text, addSpecialTokens);

    public int? TokenToId(string token) => inner.TokenToId(token);

    /// <summary>Runs of known ids are decoded together (multi-byte characters survive); each unknown id becomes U+FFFD.</summary>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false)
    {
        var text = new System.Text.StringBuilder();
        var run = new List<int>();
        foreach (var id in ids)
        {
            if (id >= 0 && id < inner.VocabSize) { run.Add(id); continue; }
            text.Append(inner.Decode(run, skipSpecialTokens)).Append(Replacement);
            run.Clear();
        }
        return text.Append(inner.Decode(run, skipSpecialTokens)).ToString();
    }
}
