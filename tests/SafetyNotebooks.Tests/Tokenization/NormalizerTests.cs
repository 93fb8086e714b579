using System.Text;
using System.Text.Json.Nodes;
using SafetyNotebooks.Tokenization;
using SafetyNotebooks.Tokenization.Unicode;

namespace SafetyNotebooks.Tests.Modeling;

/// <summary>tokenizer.json normalizers, checked id for id against Hugging Face tokenizers (Rust, via Tokenizers.DotNet).</summary>
public class NormalizerTests
{
    static JsonObject N(string type, params (string Key, JsonNode? Value)[] fields)
    {
        var o = new JsonObject { ["type"] = type };
        foreach (var (k, v) in fields) o[k] = v;
        return o;
    }

    static JsonObject Seq(params JsonObject[] steps) => N("Sequence", ("normalizers", new JsonArray(steps.Select(s => (JsonNode)s).ToArray())));

    /// <summary>Latin, Greek, Hangul, ligatures, circled and fullwidth forms, CJK squares: most decompositions that occur in text.</summary>
    static string Decomposables()
    {
        var b = new StringBuilder();
        foreach (var (from, to) in new[] { (0xC0, 0x24F), (0x386, 0x3CE), (0x1E00, 0x1EFF), (0xAC00, 0xAC40), (0xD7A0, 0xD7A3), (0xFB00, 0xFB06), (0x2460, 0x2473), (0x3300, 0x3357), (0xFF01, 0xFF5E), (0x2000, 0x200A), (0x1100, 0x1112), (0x1161, 0x1175) })
            for (var c = from; c <= to; c++) b.Append((char)c).Append(c % 7 == 0 ? " " : "");
        return b.ToString();
    }

    static readonly string[] Samples =
    [
        "Héllo WORLD, the Cat İs ﬁne ① ΟΔΟΣ", "<|im_start|>user\n  Ünïcödé  <|im_end|>", "CAT! and cat! <|endoftext|>", "  x  ", "",
        "日本語 テスト ｶﾀｶﾅ", "e\u0301 vs é, \u212B and Å, a\u0323\u0302", "한국어 한 \u1100\u1161\u11A8", "tab\there\u0000 zw\u200b \ufffd pu\ue000 \u038b end\r\n", "xcat! cat!cat!",
        "Ǆ ǅ ǆ Ⅻ ¼ ™ ㎏ ﬀ", Decomposables(),
    ];

    public static TheoryData<string, string> Normalizers() => new()
    {
        { "NFC", N("NFC").ToJsonString() },
        { "NFD", N("NFD").ToJsonString() },
        { "NFKC", N("NFKC").ToJsonString() },
        { "NFKD", N("NFKD").ToJsonString() },
        { "Lowercase", N("Lowercase").ToJsonString() },
        { "Strip left", N("Strip", ("strip_left", true), ("strip_right", false)).ToJsonString() },
        { "Strip both", N("Strip", ("strip_left", true), ("strip_right", true)).ToJsonString() },
        { "NFD StripAccents Lowercase", Seq(N("NFD"), N("StripAccents"), N("Lowercase")).ToJsonString() },
        { "StripAccents alone", N("StripAccents").ToJsonString() },
        { "Replace string", N("Replace", ("pattern", new JsonObject { ["String"] = " " }), ("content", "▁")).ToJsonString() },
        { "Replace regex", N("Replace", ("pattern", new JsonObject { ["Regex"] = @"\s+" }), ("content", " $1")).ToJsonString() },
        { "Prepend + Replace (SentencePiece style)", Seq(N("Prepend", ("prepend", "▁")), N("Replace", ("pattern", new JsonObject { ["String"] = " " }), ("content", "▁"))).ToJsonString() },
        { "BertNormalizer", N("BertNormalizer", ("clean_text", true), ("handle_chinese_chars", true), ("strip_accents", null), ("lowercase", true)).ToJsonString() },
        { "BertNormalizer cased", N("BertNormalizer", ("clean_text", true), ("handle_chinese_chars", false), ("strip_accents", false), ("lowercase", false)).ToJsonString() },
        { "NFKC Lowercase Strip", Seq(N("NFKC"), N("Lowercase"), N("Strip", ("strip_left", true), ("strip_right", true))).ToJsonString() },
    };

    [Theory]
    [MemberData(nameof(Normalizers))]
    public void Normalizer_gives_the_ids_of_hugging_face_tokenizers(string name, string normalizer)
    {
        var json = TokenizerTests.SmolLikeJson();
        json["normalizer"] = JsonNode.Parse(normalizer);
        // A normalized (non-special) added token: matched in the normalized text, so "CAT!" lowercased becomes it.
        json["added_tokens"]!.AsArray().Add(new JsonObject
        {
            // Hugging Face numbers added tokens that are not in the vocabulary from the vocabulary's size on.
            ["id"] = json["model"]!["vocab"]!.AsObject().Max(kv => kv.Value!.GetValue<int>()) + 1, ["content"] = "cat!", ["special"] = false, ["normalized"] = true, ["lstrip"] = false, ["rstrip"] = false, ["single_word"] = false,
        });
        var dir = Foundation.TestDirs.Fresh();
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), json.ToJsonString());
        var ours = HfTokenizer.Load(dir);
        using var hf = new Tokenizers.DotNet.Tokenizer(vocabPath: Path.Combine(dir, "tokenizer.json"));
        foreach (var text in Samples)
        {
            var expected = hf.Encode(text).Select(i => (int)i).ToArray();
            var actual = ours.Encode(text).ToArray();
            if (expected.SequenceEqual(actual)) continue;
            var at = Enumerable.Range(0, Math.Min(expected.Length, actual.Length)).FirstOrDefault(i => expected[i] != actual[i], Math.Min(expected.Length, actual.Length));
            string Around(int[] ids) => hf.Decode(ids.Skip(Math.Max(0, at - 12)).Take(24).Select(i => (uint)i).ToArray());
            Assert.Fail($"{name}: first difference at id {at}: hf '{Around(expected)}' ours '{Around(actual)}'");
        }
    }

    [Fact]
    public void Lstrip_and_rstrip_added_tokens_swallow_whitespace_with_and_without_a_normalizer_like_hugging_face()
    {
        foreach (var normalizer in new JsonNode?[] { null, N("Lowercase") })
        {
            var json = TokenizerTests.SmolLikeJson();
            json["normalizer"] = normalizer;
            var added = json["added_tokens"]!.AsArray();
            var next = added.Max(a => a!["id"]!.GetValue<int>()) + 1;
            next = Math.Max(next, json["model"]!["vocab"]!.AsObject().Max(kv => kv.Value!.GetValue<int>()) + 1);
            JsonObject Token(int id, string content, bool l, bool r) => new()
            {
                ["id"] = id, ["content"] = content, ["special"] = true, ["normalized"] = false, ["lstrip"] = l, ["rstrip"] = r, ["single_word"] = false,
            };
            added.Add(Token(next, "<L>", true, false));
            added.Add(Token(next + 1, "<R>", false, true));
            added.Add(Token(next + 2, "<LR>", true, true));
            var dir = Foundation.TestDirs.Fresh();
            File.WriteAllText(Path.Combine(dir, "tokenizer.json"), json.ToJsonString());
            var ours = HfTokenizer.Load(dir);
            using var hf = new Tokenizers.DotNet.Tokenizer(vocabPath: Path.Combine(dir, "tokenizer.json"));
            foreach (var text in new[] { "the cat  <L>  world", "hello <R>  is\n<LR>\t the", "<L> x <R>", "  <LR><L> <R>  " })
                Assert.True(hf.Encode(text).Select(i => (int)i).SequenceEqual(ours.Encode(text)), $"{normalizer?["type"]} '{text}': hf [{string.Join(",", hf.Encode(text))}] ours [{string.Join(",", ours.Encode(text))}]");
        }
    }

    [Fact]
    public void Special_tokens_are_matched_in_the_raw_text_before_normalization()
    {
        var json = TokenizerTests.SmolLikeJson();
        json["normalizer"] = Seq(N("Lowercase"), N("Prepend", ("prepend", "x")));
        var tok = HfTokenizer.FromJson(json);
        // "<|im_end|>" (normalized=false) is cut out first; each side is normalized on its own (so each gets the prefix).
        var ids = tok.Encode("A<|im_end|>B");
        Assert.Equal(2, ids[2]);
        Assert.Equal("xa<|im_end|>xb", tok.Decode(ids));
    }

    [Fact]
    public void Unicode_forms_compose_and_decompose_hangul_and_reorder_marks()
    {
        Assert.Equal("\u1112\u1161\u11AB", UnicodeNormalization.Normalize("한", NormalizationForm.FormD));
        Assert.Equal("한", UnicodeNormalization.Normalize("\u1112\u1161\u11AB", NormalizationForm.FormC));
        Assert.Equal("a\u0323\u0302", UnicodeNormalization.Normalize("a\u0302\u0323", NormalizationForm.FormD));
        Assert.Equal("\u1EAD", UnicodeNormalization.Normalize("a\u0302\u0323", NormalizationForm.FormC));
        Assert.Equal("fi 1", UnicodeNormalization.Normalize("ﬁ ①", NormalizationForm.FormKC));
        Assert.Equal("Å", UnicodeNormalization.Normalize("\u212B", NormalizationForm.FormC));
    }

    [Fact]
    public void Unsupported_normalizers_name_the_field_and_value()
    {
        var json = TokenizerTests.SmolLikeJson();
        json["normalizer"] = N("Precompiled", ("precompiled_charsmap", "AAAA"));
        var e = Assert.Throws<BadInputException>(() => HfTokenizer.FromJson(json));
        Assert.Contains("normalizer.type", e.Message);
        Assert.Contains("Precompiled", e.Message);
        json["normalizer"] = Seq(N("NFC"), N("Nmt"));
        Assert.Contains("normalizer.normalizers[1].type", Assert.Throws<BadInputException>(() => HfTokenizer.FromJson(json)).Message);
        json["normalizer"] = N("Replace", ("pattern", new JsonObject { ["Regex"] = "(" }), ("content", ""));
        Assert.Contains("normalizer.pattern.Regex", Assert.Throws<BadInputException>(() => HfTokenizer.FromJson(json)).Message);
        json = TokenizerTests.SmolLikeJson();
        json["model"]!["dropout"] = 0.1;
        Assert.Contains("model.dropout", Assert.Throws<BadInputException>(() => HfTokenizer.FromJson(json)).Message);
    }
}
