using System.Text;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Xunit;
using SafetyNotebooks.Tokenization;

namespace SafetyNotebooks.Tests.Modeling;

public class TokenizerTests
{
    static readonly HfTokenizer Bytes = ByteLevelTokenizer.Create();

    [Fact]
    public void Byte_level_tokenizer_has_258_ids_with_eos_and_tag()
    {
        Assert.Equal(258, Bytes.VocabSize);
        Assert.Equal(256, Bytes.EosId);
        Assert.Equal(257, Bytes.TokenToId(ByteLevelTokenizer.HarmfulnessTag));
        var ids = Bytes.Encode("a <potentially_unsafe_content> é<|endoftext|>");
        Assert.Equal(new[] { 97, 32, 257, 32, 0xC3, 0xA9, 256 }, ids);
        Assert.Equal("a <potentially_unsafe_content> é<|endoftext|>", Bytes.Decode(ids));
        Assert.Equal("a  é", Bytes.Decode(ids, skipSpecialTokens: true));
    }

    [Property(MaxTest = 200)]
    public bool Byte_level_ids_are_the_utf8_bytes_and_decode_inverts_encode(NonNull<string> s)
    {
        var text = s.Get.Replace("<", "(");
        if (Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(text)) != text) return true; // lone surrogates are not valid text
        var ids = Bytes.Encode(text);
        return ids.SequenceEqual(Encoding.UTF8.GetBytes(text).Select(b => (int)b)) && Bytes.Decode(ids) == text;
    }

    [Fact]
    public void Written_byte_level_tokenizer_loads_back_identically()
    {
        var dir = ByteLevelTokenizer.Write(Foundation.TestDirs.Fresh());
        var loaded = HfTokenizer.Load(dir);
        Assert.Equal(Bytes.Encode("hello <|endoftext|>"), loaded.Encode("hello <|endoftext|>"));
        Assert.Equal("<|endoftext|>", loaded.EosToken);
        // The Hugging Face reference implementation (Rust tokenizers) reads the same file to the same ids.
        using var hf = new Tokenizers.DotNet.Tokenizer(vocabPath: Path.Combine(dir, "tokenizer.json"));
        foreach (var text in new[] { "héllo wörld 12 345", "x<potentially_unsafe_content>y\n\n  z", "日本語 ✓" })
            Assert.Equal(hf.Encode(text).Select(i => (int)i), loaded.Encode(text));
    }

    /// <summary>A SmolLM2-like tokenizer: byte alphabet, a few merges, Digits(individual) + ByteLevel, special tokens first.</summary>
    internal static JsonObject SmolLikeJson()
    {
        var json = ByteLevelTokenizer.TokenizerJson();
        var model = json["model"]!.AsObject();
        var vocab = model["vocab"]!.AsObject();
        string[] merges = ["h e", "l l", "Ġ t", "Ġt he", "he ll", "Ġ c", "Ġc a", "Ġca t", "o r", "Ġ w", "Ġw or", "Ġwor l", "Ġworl d", "i s", "Ġ is", "Ġ 1"];
        var next = 256;
        var vocabJson = new JsonObject();
        foreach (var (k, v) in vocab) vocabJson[k] = v!.GetValue<int>() + 3;
        foreach (var m in merges)
        {
            var merged = m.Replace(" ", "");
            if (vocabJson[merged] is null) vocabJson[merged] = (next++) + 3;
        }
        vocabJson["<|endoftext|>"] = 0;
        vocabJson["<|im_start|>"] = 1;
        vocabJson["<|im_end|>"] = 2;
        model["vocab"] = vocabJson;
        model["merges"] = new JsonArray(merges.Select(m => (JsonNode)m).ToArray());
        json["added_tokens"] = new JsonArray(
            new JsonObject { ["id"] = 0, ["content"] = "<|endoftext|>", ["special"] = true, ["normalized"] = false, ["lstrip"] = false, ["rstrip"] = false, ["single_word"] = false },
            new JsonObject { ["id"] = 1, ["content"] = "<|im_start|>", ["special"] = true, ["normalized"] = false, ["lstrip"] = false, ["rstrip"] = false, ["single_word"] = false },
            new JsonObject { ["id"] = 2, ["content"] = "<|im_end|>", ["special"] = true, ["normalized"] = false, ["lstrip"] = false, ["rstrip"] = false, ["single_word"] = false });
        json["pre_tokenizer"] = new JsonObject
        {
            ["type"] = "Sequence",
            ["pretokenizers"] = new JsonArray(
                new JsonObject { ["type"] = "Digits", ["individual_digits"] = true },
                new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = true }),
        };
        return json;
    }

    [Fact]
    public void Bpe_with_merges_and_digits_matches_hugging_face_tokenizers()
    {
        var dir = Foundation.TestDirs.Fresh();
        var json = SmolLikeJson();
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), json.ToJsonString());
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"),
            new JsonObject { ["eos_token"] = "<|endoftext|>", ["chat_template"] = "{% for m in messages %}{{ m['content'] }}{% endfor %}" }.ToJsonString());
        var ours = HfTokenizer.Load(dir);
        Assert.NotNull(ours.ChatTemplate);
        using var hf = new Tokenizers.DotNet.Tokenizer(vocabPath: Path.Combine(dir, "tokenizer.json"));
        string[] samples =
        [
            "the cat is on the mat", "hello world, the cat's 1234 hats!", "<|im_start|>user\nthe cat<|im_end|>", "a  12b\t\n 7",
            "  leading and trailing  ", "naïve café ✓ 日本 1st", "it'll be 99% 'the' <|endoftext|>",
        ];
        foreach (var text in samples)
            Assert.Equal(hf.Encode(text).Select(i => (int)i).ToArray(), ours.Encode(text).ToArray());
        Assert.Equal("hello world", ours.Decode(ours.Encode("hello world")));
    }

    [Fact]
    public void Adding_the_tag_gives_it_the_next_id_and_one_token()
    {
        var tok = HfTokenizer.FromJson(SmolLikeJson());
        var (json, id) = tok.WithSpecialToken(ByteLevelTokenizer.HarmfulnessTag);
        Assert.Equal(tok.VocabSize, id);
        var extended = HfTokenizer.FromJson(json);
        Assert.Equal(new[] { id }, extended.Encode(ByteLevelTokenizer.HarmfulnessTag));
        Assert.Equal(id, extended.WithSpecialToken(ByteLevelTokenizer.HarmfulnessTag).Id);
    }

    [Fact]
    public void Unsupported_tokenizers_name_the_field()
    {
        var json = ByteLevelTokenizer.TokenizerJson();
        json["model"]!["type"] = "WordPiece";
        Assert.Contains("model.type", Assert.Throws<BadInputException>(() => HfTokenizer.FromJson(json)).Message);
        json = ByteLevelTokenizer.TokenizerJson();
        json["pre_tokenizer"] = new JsonObject { ["type"] = "BertPreTokenizer" };
        Assert.Contains("pre_tokenizer.type", Assert.Throws<BadInputException>(() => HfTokenizer.FromJson(json)).Message);
    }
}
