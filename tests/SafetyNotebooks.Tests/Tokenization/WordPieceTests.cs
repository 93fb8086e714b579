using BertTokenizer = Microsoft.ML.Tokenizers.BertTokenizer;
using SafetyNotebooks.Tokenization;

namespace SafetyNotebooks.Tests.Scoring;

public sealed class WordPieceTests
{
    // A miniature BERT vocabulary: ids are positions in this list (as in a vocab.txt).
    static readonly string[] Vocab =
    [
        "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", ",", "un", "##aff", "##able", "world", "!", "the", "cafe",
        "naive", "##s", "a", "##b", "b", "'", "t", "don", ".", "?", "日", "本", "run", "##ning", "-", "x",
    ];

    static WordPieceTokenizer Tokenizer() =>
        new(Vocab.Select((t, i) => (t, i)).ToDictionary(x => x.t, x => x.i), new BertNormalization(),
            added: new[] { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]" }.Select(s => (s, Array.IndexOf(Vocab, s), true)));

    [Theory]
    [InlineData("Hello, unaffable world!", new[] { 2, 5, 6, 7, 8, 9, 10, 11, 3 })]
    [InlineData("The  CAFÉ\tnaïves", new[] { 2, 12, 13, 14, 15, 3 })]      // whitespace, lowercase, accents stripped
    [InlineData("Cafe\u0301 NAÏVE", new[] { 2, 13, 14, 3 })]                // combining marks dropped too
    [InlineData("don't run-running?", new[] { 2, 21, 19, 20, 26, 28, 26, 27, 23, 3 })]
    [InlineData("日本x", new[] { 2, 24, 25, 29, 3 })]                       // CJK characters are words of their own
    [InlineData("unknownword hello", new[] { 2, 1, 5, 3 })]                // any unmatched piece → [UNK] for the whole word
    [InlineData("hello [SEP] world", new[] { 2, 5, 3, 10, 3 })]            // special tokens in the text keep their ids
    [InlineData("ab\u0000\u200b", new[] { 2, 16, 17, 3 })]                 // control and format characters dropped
    public void Encodes_known_ids(string text, int[] expected) => Assert.Equal(expected, Tokenizer().Encode(text, addSpecialTokens: true));

    [Fact]
    public void Matches_Microsoft_ML_Tokenizers_BertTokenizer_on_mixed_text()
    {
        var dir = Foundation.TestDirs.Fresh();
        var vocabFile = Path.Combine(dir, "vocab.txt");
        File.WriteAllLines(vocabFile, Vocab);
        var reference = BertTokenizer.Create(vocabFile);
        var ours = Tokenizer();
        var rng = new Random(7);
        // No accented words here: with invariant globalization BertTokenizer's accent stripping (string.Normalize) is a no-op.
        var words = new[] { "Hello", "unaffable", "world", "!", ",", "the", "CAFE", "naive", "don't", "running", "b", "ab", "日本", "zzz", "x-x", "?" };
        for (var i = 0; i < 200; i++)
        {
            var text = string.Join(rng.Next(3) == 0 ? "  " : " ", Enumerable.Range(0, rng.Next(1, 8)).Select(_ => words[rng.Next(words.Length)]));
            Assert.Equal(reference.EncodeToIds(text).ToArray(), ours.Encode(text, addSpecialTokens: true).ToArray());
        }
    }

    [Fact]
    public void Tokenizer_json_round_trips_and_decodes()
    {
        var dir = Foundation.TestDirs.Fresh();
        var path = Path.Combine(dir, "tokenizer.json");
        File.WriteAllText(path, Tokenizer().ToJson());
        var loaded = WordPieceTokenizer.Load(path);
        Assert.Equal(Tokenizer().Encode("Hello, unaffable world!", true), loaded.Encode("Hello, unaffable world!", true));
        Assert.Equal("hello, unaffable world!", loaded.Decode(loaded.Encode("Hello, unaffable world!", true), skipSpecialTokens: true));
        Assert.Equal(30, loaded.VocabSize);
        Assert.Equal(3, loaded.TokenToId("[SEP]"));
    }

    [Fact]
    public void Word_vocabulary_from_a_corpus_never_produces_unknown_tokens_for_its_characters()
    {
        var tok = WordPieceTokenizer.BuildWordVocabulary(["the cat sat", "the dog ran", "a cat!"], maxVocab: 40);
        var ids = tok.Encode("the cats sat!", true);
        Assert.DoesNotContain(tok.TokenToId("[UNK]")!.Value, ids);
        Assert.Equal("the cats sat!", tok.Decode(ids, skipSpecialTokens: true));
    }

    [Fact]
    public void A_tokenizer_json_with_another_model_is_refused()
    {
        var dir = Foundation.TestDirs.Fresh();
        var path = Path.Combine(dir, "tokenizer.json");
        File.WriteAllText(path, """{"model": {"type": "BPE", "vocab": {}}}""");
        var e = Assert.Throws<BadInputException>(() => WordPieceTokenizer.Load(path));
        Assert.Contains("model.type", e.Message);
    }
}
