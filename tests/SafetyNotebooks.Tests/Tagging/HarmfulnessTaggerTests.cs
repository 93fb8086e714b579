using System.Buffers;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using SafetyNotebooks.Tagging;

namespace SafetyNotebooks.Tests.Tagging;

public class HarmfulnessTaggerTests
{
    const string Tag = TagOptions.DefaultTag;

    static string Untag(string tagged) => tagged.Replace(Tag + " ", "", StringComparison.Ordinal);

    static int Occurrences(string text, string what)
    {
        var n = 0;
        for (var i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + what.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    static int WordCount(string text) => TaggingTexts.NaiveWordStarts(Encoding.UTF8.GetBytes(text)).Count;

    [Fact]
    public void Fnv1a64_matches_published_test_vectors()
    {
        Assert.Equal(0xcbf29ce484222325UL, Fnv1a64.Hash(""u8));
        Assert.Equal(0xaf63dc4c8601ec8cUL, Fnv1a64.Hash("a"u8));
        Assert.Equal(0x85944171f73967e8UL, Fnv1a64.Hash("foobar"u8));
        Assert.Equal(Fnv1a64.Hash("Straße"u8), HarmfulnessTagger.DocumentKey("Straße"));
    }

    [Fact]
    public void SplitMix64_matches_the_reference_sequence_for_seed_0()
    {
        var rng = new SplitMix64(0);
        Assert.Equal(0xe220a8397b1dcdafUL, rng.Next());
        Assert.Equal(0x6e789e6aa1b965f4UL, rng.Next());
        Assert.Equal(0x06c45d188009454fUL, rng.Next());
    }

    [Property(MaxTest = 300)]
    public Property Integer_threshold_agrees_with_the_floating_point_draw() =>
        Prop.ForAll(ArbMap.Default.ArbFor<ulong>(), Gen.Choose(0, 1_000_000).Select(i => i / 1_000_000.0).ToArbitrary(), (x, p) =>
        {
            var k = x >> 11;
            return (k < SplitMix64.Threshold53(p)) == (k * (1.0 / (1UL << 53)) < p);
        });

    [Fact]
    public void Integer_threshold_is_exact_at_the_edges()
    {
        Assert.Equal(0UL, SplitMix64.Threshold53(0));
        Assert.Equal(1UL << 53, SplitMix64.Threshold53(1));
        Assert.Equal(1UL << 52, SplitMix64.Threshold53(0.5));
        Assert.Equal(1UL, SplitMix64.Threshold53(double.Epsilon));
    }

    [Fact]
    public void Golden_example_from_the_python_reference()
    {
        // bench/reference/tag_reference.py: tag_text(text, b"doc-1", 0.5, 42, TAG)
        const string text = "Der Bär   läuft\tüber die Straße.\nNext line  with\vvertical tab and\u00a0nbsp here.";
        var r = HarmfulnessTagger.Tag(text, "doc-1", new TagOptions(Rate: 0.5));
        Assert.Equal(5, r.TagCount);
        Assert.Equal($"Der Bär   {Tag} läuft\tüber {Tag} die {Tag} Straße.\nNext line  with\v{Tag} vertical tab and\u00a0nbsp {Tag} here.", r.Text);
    }

    [Property(MaxTest = 500)]
    public Property Simd_word_starts_equal_the_definition_on_arbitrary_bytes() =>
        Prop.ForAll(Gen.Elements<byte>(0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x08, 0x0E, 0x1C, 0x41, 0xC3, 0xA0, 0xFF).ArrayOf().ToArbitrary(), bytes =>
            AsciiWhitespace.WordStarts(bytes).SequenceEqual(TaggingTexts.NaiveWordStarts(bytes))
            && AsciiWhitespace.CountWords(bytes) == TaggingTexts.NaiveWordStarts(bytes).Count);

    [Fact]
    public void Word_starts_are_right_across_block_boundaries()
    {
        foreach (var length in new[] { 0, 1, 63, 64, 65, 127, 128, 129, 200 })
            for (var shift = 0; shift < 3; shift++)
            {
                var bytes = Enumerable.Range(0, length).Select(i => (i + shift) % 3 == 0 ? (byte)' ' : (byte)'w').ToArray();
                Assert.Equal(TaggingTexts.NaiveWordStarts(bytes), AsciiWhitespace.WordStarts(bytes));
            }
    }

    [Property(MaxTest = 300)]
    public Property Removing_the_tags_restores_the_input_exactly() =>
        Prop.ForAll(TaggingTexts.Arb, Gen.Choose(0, 100).ToArbitrary(), ArbMap.Default.ArbFor<ulong>(), (text, percent, seed) =>
            Untag(HarmfulnessTagger.Tag(text, "id", new TagOptions(percent / 100.0, seed)).Text) == text);

    [Property(MaxTest = 300)]
    public Property Tag_count_equals_the_inserted_occurrences_and_tags_sit_only_before_later_words() =>
        Prop.ForAll(TaggingTexts.Arb, Gen.Choose(0, 100).ToArbitrary(), (text, percent) =>
        {
            var r = HarmfulnessTagger.Tag(text, "doc", new TagOptions(percent / 100.0));
            var ok = r.TagCount == Occurrences(r.Text, Tag + " ") && r.TagCount <= Math.Max(0, WordCount(text) - 1);
            // each tag + space is preceded by whitespace (it is never before word 1) and followed by a word's first byte
            for (var i = r.Text.IndexOf(Tag, StringComparison.Ordinal); i >= 0; i = r.Text.IndexOf(Tag, i + 1, StringComparison.Ordinal))
            {
                var after = i + Tag.Length + 1;
                ok &= i > 0 && IsAsciiWs(r.Text[i - 1]) && after < r.Text.Length && !IsAsciiWs(r.Text[after]);
            }
            return ok;
        });

    static bool IsAsciiWs(char c) => c is ' ' or '\t' or '\n' or '\v' or '\f' or '\r';

    [Property(MaxTest = 200)]
    public Property Rate_0_is_the_identity() =>
        Prop.ForAll(TaggingTexts.Arb, ArbMap.Default.ArbFor<ulong>(), (text, seed) =>
            HarmfulnessTagger.Tag(text, "x", new TagOptions(0, seed)) == new TaggedText(text, 0));

    [Property(MaxTest = 200)]
    public Property Rate_1_puts_a_tag_before_every_word_but_the_first() =>
        Prop.ForAll(TaggingTexts.Arb, text =>
        {
            var r = HarmfulnessTagger.Tag(text, "x", new TagOptions(1));
            var words = WordCount(text);
            var expected = words == 0 ? text : RebuildWithTags(text);
            return r.TagCount == Math.Max(0, words - 1) && r.Text == expected;
        });

    static string RebuildWithTags(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var starts = TaggingTexts.NaiveWordStarts(bytes);
        var sb = new List<byte>();
        var tag = Encoding.UTF8.GetBytes(Tag + " ");
        for (var i = 0; i < bytes.Length; i++)
        {
            if (i != starts[0] && starts.BinarySearch(i) >= 0) sb.AddRange(tag);
            sb.Add(bytes[i]);
        }
        return Encoding.UTF8.GetString([.. sb]);
    }

    [Property(MaxTest = 200)]
    public Property A_higher_rate_keeps_every_tag_of_a_lower_rate() =>
        Prop.ForAll(TaggingTexts.Arb, Gen.Choose(0, 100).ToArbitrary(), Gen.Choose(0, 100).ToArbitrary(), (text, a, b) =>
        {
            var (lo, hi) = (Math.Min(a, b) / 100.0, Math.Max(a, b) / 100.0);
            var low = TaggedWordIndexes(HarmfulnessTagger.Tag(text, "d", new TagOptions(lo)).Text);
            var high = TaggedWordIndexes(HarmfulnessTagger.Tag(text, "d", new TagOptions(hi)).Text);
            return low.IsSubsetOf(high);
        });

    // indexes (in the untagged text's word numbering) of the words that carry a tag
    static HashSet<int> TaggedWordIndexes(string tagged)
    {
        var set = new HashSet<int>();
        var word = 0;
        foreach (var token in tagged.Split([' ', '\t', '\n', '\v', '\f', '\r'], StringSplitOptions.RemoveEmptyEntries))
        {
            if (token == Tag) set.Add(word + 1);
            else word++;
        }
        return set;
    }

    [Fact]
    public void Documents_below_the_threshold_are_copied_and_make_no_draws()
    {
        var plan = TagPlan.From(new TagOptions(Rate: 1, MinScore: 3));
        Assert.Equal(new TaggedText("a b c", 0), HarmfulnessTagger.TagDocument("a b c", "id", 2, plan));
        Assert.Equal(2, HarmfulnessTagger.TagDocument("a b c", "id", 3, plan).TagCount);
        var output = new ArrayBufferWriter<byte>();
        Assert.Equal(0, HarmfulnessTagger.TagDocument("x y"u8, "id"u8, 0, plan, output));
        Assert.Equal("x y"u8.ToArray(), output.WrittenSpan.ToArray());
    }

    [Fact]
    public void Result_depends_on_id_and_seed_only_not_on_order_or_threads()
    {
        var plan = TagPlan.From(new TagOptions(Rate: 0.2));
        var corpus = TaggingTexts.Corpus(400, seed: 7);
        var sequential = corpus.Select(d => HarmfulnessTagger.TagDocument(d.Text, d.Id, d.Score, plan)).ToArray();
        var reversedParallel = corpus.Reverse().AsParallel().WithDegreeOfParallelism(4)
            .Select(d => (d.Id, r: HarmfulnessTagger.TagDocument(d.Text, d.Id, d.Score, plan))).ToDictionary(x => x.Id, x => x.r);
        Assert.Equal(sequential, corpus.Select(d => reversedParallel[d.Id]));
        Assert.Contains(sequential, r => r.TagCount > 0);
        Assert.NotEqual(sequential, corpus.Select(d => HarmfulnessTagger.TagDocument(d.Text, d.Id, d.Score, plan with { Seed = 43 })));
    }

    [Theory]
    [InlineData(-0.01)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void Rate_outside_0_1_is_bad_input_naming_the_option(double rate)
    {
        var e = Assert.Throws<BadInputException>(() => TagPlan.From(new TagOptions(rate)));
        Assert.Contains("--rate", e.Message);
    }

    [Fact]
    public void A_custom_tag_string_is_inserted_verbatim()
    {
        var r = HarmfulnessTagger.Tag("one two three", "id", new TagOptions(Rate: 1, Tag: "<unsafe ✱>"));
        Assert.Equal(new TaggedText("one <unsafe ✱> two <unsafe ✱> three", 2), r);
    }
}
