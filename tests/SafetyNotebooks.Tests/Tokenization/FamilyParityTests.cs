using System.Text.Json.Nodes;
using SafetyNotebooks.Tokenization;
using Xunit.Abstractions;

namespace SafetyNotebooks.Tests.Tokenization;

/// <summary>
/// The real tokenizer.json files of current model families against Hugging Face's Rust tokenizers (Tokenizers.DotNet),
/// id for id on a seeded hard corpus: ids with and without special tokens, decoding with special tokens kept and
/// skipped, and decoding of id windows that cut UTF-8 sequences.
/// </summary>
public sealed class FamilyParityTests(ITestOutputHelper output)
{
    const int Documents = 300;

    static uint[] U(IEnumerable<int> ids) => ids.Select(i => (uint)i).ToArray();

    static IReadOnlyList<string> Corpus(HfTokenizer tok, string family) =>
        HardCorpus.Generate(18 + Array.IndexOf(FamilyFixtures.Families, family), Documents, tok.AddedTokens.Select(a => a.Content).Take(40).ToList());

    [Theory]
    [MemberData(nameof(AllFamilies))]
    public void Ids_without_special_tokens_match_the_rust_library(string family)
    {
        var ours = HfTokenizer.Load(FamilyFixtures.Folder(family));
        using var rust = new Tokenizers.DotNet.Tokenizer(FamilyFixtures.Variant(family, "no-post", j => j["post_processor"] = null));
        var corpus = Corpus(ours, family);
        var mismatches = corpus.Where(t => !rust.Encode(t).SequenceEqual(U(ours.Encode(t)))).ToList();
        Report(family, "ids", corpus.Count, mismatches);
    }

    [Theory]
    [MemberData(nameof(AllFamilies))]
    public void Ids_with_special_tokens_match_the_rust_library(string family)
    {
        var ours = HfTokenizer.Load(FamilyFixtures.Folder(family));
        using var rust = new Tokenizers.DotNet.Tokenizer(ExpectedPostProcessing(family));
        var corpus = Corpus(ours, family);
        var mismatches = corpus.Where(t => !rust.Encode(t).SequenceEqual(U(ours.Encode(t, addSpecialTokens: true)))).ToList();
        Report(family, "ids with special tokens", corpus.Count, mismatches);
    }

    /// <summary>
    /// The tokenizer.json whose post-processing is what transformers applies: the file itself, except where
    /// tokenizer_config.json's add_bos_token rebuilds it (DeepSeek-V3's LlamaTokenizerFast adds BOS although the file's
    /// post-processor does not).
    /// </summary>
    static string ExpectedPostProcessing(string family) => family switch
    {
        "deepseek_v3" => FamilyFixtures.Variant(family, "bos", j => j["post_processor"] = JsonNode.Parse("""
            {"type":"TemplateProcessing","single":[{"SpecialToken":{"id":"<｜begin▁of▁sentence｜>","type_id":0}},{"Sequence":{"id":"A","type_id":0}}],
             "pair":[{"Sequence":{"id":"A","type_id":0}},{"Sequence":{"id":"B","type_id":1}}],
             "special_tokens":{"<｜begin▁of▁sentence｜>":{"id":"<｜begin▁of▁sentence｜>","ids":[0],"tokens":["<｜begin▁of▁sentence｜>"]}}}
            """)),
        _ => Path.Combine(FamilyFixtures.Folder(family), "tokenizer.json"),
    };

    [Theory]
    [MemberData(nameof(AllFamilies))]
    public void Decoding_matches_the_rust_library_with_special_tokens_skipped_and_kept(string family)
    {
        var ours = HfTokenizer.Load(FamilyFixtures.Folder(family));
        using var skipping = new Tokenizers.DotNet.Tokenizer(Path.Combine(FamilyFixtures.Folder(family), "tokenizer.json"));
        // The Rust wrapper decodes with skip_special_tokens; with no token marked special it keeps them all.
        using var keeping = new Tokenizers.DotNet.Tokenizer(FamilyFixtures.Variant(family, "no-special", j =>
        {
            foreach (var a in j["added_tokens"]!.AsArray()) a!["special"] = false;
        }));
        var corpus = Corpus(ours, family);
        var r = new Random(18);
        var mismatches = new List<string>();
        var checks = 0;
        foreach (var text in corpus)
        {
            var ids = ours.Encode(text, addSpecialTokens: true).ToArray();
            // The whole text, and a window that may start or end inside a character's UTF-8 bytes.
            var a = r.Next(ids.Length + 1); var b = r.Next(a, ids.Length + 1);
            foreach (var window in new[] { ids, ids[a..b] })
            {
                checks++;
                if (skipping.Decode(U(window)) != ours.Decode(window, skipSpecialTokens: true) || keeping.Decode(U(window)) != ours.Decode(window))
                    mismatches.Add(text);
            }
        }
        Report(family, "decoding", checks, mismatches);
    }

    void Report(string family, string what, int total, List<string> mismatches)
    {
        output.WriteLine($"{family} {what}: {total - mismatches.Count}/{total} identical ({100.0 * (total - mismatches.Count) / total:F1} %)");
        foreach (var m in mismatches.Take(5)) output.WriteLine("  mismatch: " + System.Text.Json.JsonSerializer.Serialize(m.Length > 200 ? m[..200] : m));
        Assert.Empty(mismatches.Take(5));
    }

    public static TheoryData<string> AllFamilies() => new(FamilyFixtures.Families);
}

/// <summary>
/// Mistral-style SentencePiece layouts (the Metaspace pre-tokenizer and decoder instead of Llama 2's normalizers),
/// built from Llama 2's vocabulary, against the Rust library: ids and decoding.
/// </summary>
public sealed class MetaspaceParityTests(ITestOutputHelper output)
{
    public static TheoryData<string, string> Layouts() => new()
    {
        { "first", """{"type":"Metaspace","replacement":"▁","prepend_scheme":"first","split":false}""" },
        { "always-split", """{"type":"Metaspace","replacement":"▁","prepend_scheme":"always","split":true}""" },
        { "never", """{"type":"Metaspace","replacement":"▁","prepend_scheme":"never","split":true}""" },
    };

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Metaspace_layouts_match_the_rust_library(string name, string metaspace)
    {
        var path = FamilyFixtures.Variant("llama2", "metaspace-" + name, j =>
        {
            j["normalizer"] = null;
            j["pre_tokenizer"] = JsonNode.Parse(metaspace);
            j["decoder"] = JsonNode.Parse($$"""{"type":"Sequence","decoders":[{{metaspace}},{"type":"ByteFallback"},{"type":"Fuse"}]}""");
        });
        var ours = HfTokenizer.Load(path);
        using var rust = new Tokenizers.DotNet.Tokenizer(path);
        var corpus = HardCorpus.Generate(1818, 200, ours.AddedTokens.Select(a => a.Content).ToList());
        var r = new Random(1);
        var mismatches = new List<string>();
        foreach (var text in corpus)
        {
            var ids = ours.Encode(text, addSpecialTokens: true).ToArray();
            var a = r.Next(ids.Length + 1); var b = r.Next(a, ids.Length + 1);
            if (!rust.Encode(text).SequenceEqual(ids.Select(i => (uint)i)) || rust.Decode(ids.Select(i => (uint)i).ToArray()) != ours.Decode(ids, skipSpecialTokens: true)
                || rust.Decode(ids[a..b].Select(i => (uint)i).ToArray()) != ours.Decode(ids[a..b], skipSpecialTokens: true))
                mismatches.Add(text);
        }
        output.WriteLine($"metaspace {name}: {corpus.Count - mismatches.Count}/{corpus.Count} identical");
        foreach (var m in mismatches.Take(3)) output.WriteLine("  mismatch: " + System.Text.Json.JsonSerializer.Serialize(m.Length > 200 ? m[..200] : m));
        Assert.Empty(mismatches.Take(3));
    }
}

/// <summary>The cases of the issue that found the four causes, and the README's example.</summary>
public sealed class FamilyRegressionTests
{
    [Fact]
    public void Llama_3_1_adds_bos_from_its_post_processor_as_the_readme_shows()
    {
        var tok = HfTokenizer.Load(FamilyFixtures.Folder("llama3_1"));
        Assert.Equal([128000, 9906], tok.Encode("Hello", addSpecialTokens: true));
        Assert.Equal([9906], tok.Encode("Hello"));
        Assert.Equal("Hello", tok.Decode(tok.Encode("Hello", addSpecialTokens: true), skipSpecialTokens: true));
        Assert.True(tok.AddBos);
    }

    [Fact]
    public void Ignore_merges_maps_a_vocabulary_word_to_its_one_id()
    {
        var tok = HfTokenizer.Load(FamilyFixtures.Folder("llama3"));
        Assert.Single(tok.Encode(" Việt"));
    }

    [Fact]
    public void An_emoji_before_a_letter_is_never_cut_between_its_utf16_halves()
    {
        var tok = HfTokenizer.Load(FamilyFixtures.Folder("deepseek_v3"));
        using var rust = new Tokenizers.DotNet.Tokenizer(FamilyFixtures.Variant("deepseek_v3", "plain", j => j["post_processor"] = null));
        foreach (var text in new[] { "😀o", " 𝟘", "𝔞*i", "𝟙512", " 𐒠" })
        {
            var ids = tok.Encode(text);
            Assert.Equal(rust.Encode(text), ids.Select(i => (uint)i));
            Assert.Equal(text, tok.Decode(ids));
        }
        Assert.Equal(3, tok.Encode("😀o").Count);
    }

    [Fact]
    public void SentencePiece_families_load_and_round_trip()
    {
        foreach (var family in new[] { "gemma3", "llama2" })
        {
            var tok = HfTokenizer.Load(FamilyFixtures.Folder(family));
            const string text = "Hello wörld 😀 𝔞\u0007 ∑";
            Assert.Equal(text, tok.Decode(tok.Encode(text, addSpecialTokens: true), skipSpecialTokens: true));
        }
    }
}
