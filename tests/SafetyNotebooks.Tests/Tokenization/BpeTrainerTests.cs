using SafetyNotebooks.Tokenization;

namespace SafetyNotebooks.Tests.Modeling;

public class BpeTrainerTests
{
    static readonly string[] Corpus =
    [
        "the cat sat on the mat. the cat ate.",
        "a <potentially_unsafe_content> hat for the cat<|endoftext|>",
        "then the cats sat; 12 mats, 345 hats!\n\nthe end",
    ];

    [Fact]
    public void First_merge_is_the_most_frequent_pair_and_added_tokens_never_merge()
    {
        var merges = ByteLevelBpeTrainer.Train(Corpus, new BpeTrainingOptions(Merges: 50));
        // "at" (cat ×4, sat ×2, mat, ate, hat, mats, hats) is the most frequent adjacent pair of this corpus; then "he"
        Assert.Equal([("a", "t"), ("h", "e")], merges.Take(2));
        Assert.DoesNotContain(merges, m => (m.Left + m.Right).Contains('<') && (m.Left + m.Right).Contains('_'));
        Assert.Equal(merges, ByteLevelBpeTrainer.Train(Corpus, new BpeTrainingOptions(Merges: 50)));
    }

    [Fact]
    public void Training_stops_at_min_frequency()
    {
        var merges = ByteLevelBpeTrainer.Train(["abcd abcd", "xy"], new BpeTrainingOptions(Merges: 100, MinFrequency: 2));
        // pieces "abcd", "Ġabcd", "xy": only the pairs inside "abcd" occur twice
        Assert.Equal([("a", "b"), ("ab", "c"), ("abc", "d")], merges);
    }

    [Fact]
    public void Trained_tokenizer_encodes_like_the_Hugging_Face_reference_with_the_tag_between_words()
    {
        var merges = ByteLevelBpeTrainer.Train(Corpus, new BpeTrainingOptions(Merges: 40));
        var json = ByteLevelTokenizer.TokenizerJson(merges, tagLstrip: true);
        var dir = ByteLevelTokenizer.Write(Foundation.TestDirs.Fresh(), json);
        var tok = HfTokenizer.Load(dir);
        Assert.Equal(258 + merges.Count, tok.VocabSize);

        // lstrip: the tag swallows the space on its left, so it sits between whole-word tokens
        var ids = tok.Encode("the cat <potentially_unsafe_content> sat");
        var tagAt = ids.ToList().IndexOf(ByteLevelTokenizer.TagId);
        Assert.Equal(tok.Encode(" sat"), ids.Skip(tagAt + 1));
        Assert.Equal(tok.Encode("the cat"), ids.Take(tagAt));
        Assert.Equal("the cat sat", tok.Decode(ids, skipSpecialTokens: true));

        using var hf = new Tokenizers.DotNet.Tokenizer(vocabPath: Path.Combine(dir, "tokenizer.json"));
        foreach (var text in Corpus.Append("the  <potentially_unsafe_content>  cat\n<potentially_unsafe_content> hats 2024 héllo"))
            Assert.Equal(hf.Encode(text).Select(i => (int)i), tok.Encode(text));
    }
}
