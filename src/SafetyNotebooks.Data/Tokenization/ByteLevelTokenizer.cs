using System.Text.Json;
using System.Text.Json.Nodes;

namespace SafetyNotebooks.Tokenization;

/// <summary>
/// The toy world's tokenizer: every UTF-8 byte is one token (ids 0–255), then <c>&lt;|endoftext|&gt;</c> (256) and the
/// harmfulness tag (257): 258 ids. It is written as an ordinary Hugging Face tokenizer.json (BPE with the GPT-2
/// byte alphabet and no merges), so the toy world and SmolLM2 go through the same <see cref="HfTokenizer"/> code.
/// </summary>
public static class ByteLevelTokenizer
{
    public const string EndOfText = "<|endoftext|>";

    /// <summary>The harmfulness tag of the paper (§1.5), one special token: the tagger's <see cref="Tagging.TagOptions.DefaultTag"/>.</summary>
    public const string HarmfulnessTag = Tagging.TagOptions.DefaultTag;

    public const int EosId = 256;
    public const int TagId = 257;
    public const int VocabSize = 258;

    /// <summary>GPT-2's reversible map from bytes to printable characters (what byte-level BPE vocabularies are written in).</summary>
    public static IReadOnlyList<char> ByteToChar { get; } = BuildByteMap();

    static char[] BuildByteMap()
    {
        var map = new char[256];
        var printable = Enumerable.Range('!', '~' - '!' + 1).Concat(Enumerable.Range('¡', '¬' - '¡' + 1)).Concat(Enumerable.Range('®', 'ÿ' - '®' + 1)).ToHashSet();
        var next = 256;
        for (var b = 0; b < 256; b++) map[b] = printable.Contains(b) ? (char)b : (char)next++;
        return map;
    }

    /// <summary>
    /// The tokenizer.json document. With <paramref name="merges"/> (learned by <see cref="ByteLevelBpeTrainer"/>) it is a
    /// byte-level BPE whose merged tokens take ids 258, 259, … in merge order; <paramref name="tagLstrip"/> makes the tag
    /// swallow the space before it, so tagged text "a TAG b" encodes as [a, TAG, " b"] and the tag sits between words.
    /// </summary>
    public static JsonObject TokenizerJson(IReadOnlyList<(string Left, string Right)>? merges = null, bool tagLstrip = false)
    {
        var vocab = new JsonObject();
        for (var b = 0; b < 256; b++) vocab[ByteToChar[b].ToString()] = b;
        var mergeList = new JsonArray();
        var next = VocabSize;
        // Hugging Face numbers added tokens that are missing from model.vocab after the vocab's *count*, so with merges
        // (ids 258…) EOS and the tag must be in the vocab too, or the Rust tokenizer would renumber them.
        if (merges is { Count: > 0 })
        {
            vocab[EndOfText] = EosId;
            vocab[HarmfulnessTag] = TagId;
        }
        foreach (var (left, right) in merges ?? [])
        {
            mergeList.Add($"{left} {right}");
            if (!vocab.ContainsKey(left + right)) vocab[left + right] = next++;
        }
        JsonObject Added(int id, string content, bool lstrip = false) => new()
        {
            ["id"] = id, ["content"] = content, ["single_word"] = false, ["lstrip"] = lstrip, ["rstrip"] = false,
            ["normalized"] = false, ["special"] = true,
        };
        return new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = new JsonArray(Added(EosId, EndOfText), Added(TagId, HarmfulnessTag, tagLstrip)),
            ["normalizer"] = null,
            ["pre_tokenizer"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = true },
            ["post_processor"] = null,
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = true, ["trim_offsets"] = true, ["use_regex"] = true },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = null,
                ["end_of_word_suffix"] = null, ["fuse_unk"] = false, ["byte_fallback"] = false, ["ignore_merges"] = false,
                ["vocab"] = vocab, ["merges"] = mergeList,
            },
        };
    }

    /// <summary>The tokenizer_config.json document (EOS = <c>&lt;|endoftext|&gt;</c>, no BOS).</summary>
    public static JsonObject TokenizerConfigJson() => new()
    {
        ["add_bos_token"] = false,
        ["add_eos_token"] = false,
        ["bos_token"] = null,
        ["eos_token"] = EndOfText,
        ["model_max_length"] = 2048,
        ["tokenizer_class"] = "PreTrainedTokenizerFast",
    };

    /// <summary>Writes tokenizer.json and tokenizer_config.json into <paramref name="dir"/> (atomically) and returns the folder.</summary>
    public static string Write(string dir) => Write(dir, TokenizerJson());

    /// <summary>Writes a tokenizer.json of this family (e.g. one with learned merges) and the matching tokenizer_config.json.</summary>
    public static string Write(string dir, JsonObject tokenizerJson)
    {
        var options = new JsonSerializerOptions { WriteIndented = true };
        AtomicFile.WriteAllText(Path.Combine(dir, "tokenizer.json"), tokenizerJson.ToJsonString(options));
        AtomicFile.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), TokenizerConfigJson().ToJsonString(options));
        return dir;
    }

    /// <summary>The toy tokenizer, in memory.</summary>
    public static HfTokenizer Create() => HfTokenizer.FromJson(TokenizerJson(), TokenizerConfigJson(), "byte-level tokenizer");
}
