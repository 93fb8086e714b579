using System.Text.Json.Nodes;
using SafetyNotebooks.Tokenization;

namespace SafetyNotebooks.Tests.Tokenization;

/// <summary>Broken tokenizer.json files are refused with the file, the field and the value named (exit 2 from the CLI), never a crash.</summary>
public sealed class BadTokenizerFileTests
{
    static JsonObject Bpe() => Modeling.TokenizerTests.SmolLikeJson();

    public static TheoryData<string, string, string> BpeCases() => new()
    {
        { "string id in the vocabulary", "model.vocab[\"a\"]", "\"7\"" },
        { "string id of an added token", "added_tokens[0].id", "\"0\"" },
        { "merge of an unknown token", "model.merges[0]", "zzz" },
        { "empty vocabulary", "model.vocab", "{}" },
        { "unknown unk_token", "model.unk_token", "<nope>" },
    };

    static JsonObject Broken(string name)
    {
        var json = Bpe();
        var model = json["model"]!.AsObject();
        switch (name)
        {
            case "string id in the vocabulary": model["vocab"]!["a"] = "7"; break;
            case "string id of an added token": json["added_tokens"]![0]!["id"] = "0"; break;
            case "merge of an unknown token": model["merges"]![0] = "zzz e"; break;
            case "empty vocabulary": model["vocab"] = new JsonObject(); model["merges"] = new JsonArray(); break;
            case "unknown unk_token": model["unk_token"] = "<nope>"; break;
        }
        return json;
    }

    [Theory]
    [MemberData(nameof(BpeCases))]
    public void Bpe_files_name_the_field_and_value(string name, string field, string value)
    {
        var e = Assert.Throws<BadInputException>(() => HfTokenizer.FromJson(Broken(name), null, "tok/tokenizer.json"));
        Assert.Contains("tok/tokenizer.json", e.Message);
        Assert.Contains(field, e.Message);
        Assert.Contains(value, e.Message);
    }

    [Theory]
    [MemberData(nameof(BpeCases))]
    public async Task The_cli_exits_2_naming_the_file_and_field(string name, string field, string value)
    {
        var tokDir = Foundation.TestDirs.Fresh();
        File.WriteAllText(Path.Combine(tokDir, "tokenizer.json"), Broken(name).ToJsonString());
        var input = Path.Combine(Foundation.TestDirs.Fresh(), "docs.jsonl");
        File.WriteAllText(input, "{\"text\": \"hello\"}\n");
        var r = await Foundation.CliRunner.RunAsync("export", "litdata", "--input", input, "--tokenizer", tokDir, "--output", Path.Combine(Foundation.TestDirs.Fresh(), "out"));
        Assert.Equal(2, r.Code);
        Assert.Contains("tokenizer.json", r.Err);
        Assert.Contains(field, r.Err);
        Assert.Contains(value, r.Err);
        Assert.DoesNotContain("   at ", r.Err);
    }

    static string WordPieceFile(Action<JsonObject> change)
    {
        var json = new JsonObject
        {
            ["added_tokens"] = new JsonArray(new JsonObject { ["id"] = 0, ["content"] = "[UNK]", ["special"] = true }),
            ["normalizer"] = null,
            ["model"] = new JsonObject { ["type"] = "WordPiece", ["unk_token"] = "[UNK]", ["vocab"] = new JsonObject { ["[UNK]"] = 0, ["a"] = 1, ["##b"] = 2 } },
        };
        change(json);
        var path = Path.Combine(Foundation.TestDirs.Fresh(), "tokenizer.json");
        File.WriteAllText(path, json.ToJsonString());
        return path;
    }

    [Fact]
    public void WordPiece_files_name_the_field_and_value()
    {
        Assert.Equal([1, 2], WordPieceTokenizer.Load(WordPieceFile(_ => { })).Encode("ab"));
        void Refused(Action<JsonObject> change, string field, string value)
        {
            var path = WordPieceFile(change);
            var e = Assert.Throws<BadInputException>(() => WordPieceTokenizer.Load(path));
            Assert.Contains(path, e.Message);
            Assert.Contains(field, e.Message);
            Assert.Contains(value, e.Message);
        }
        Refused(j => j["model"]!["vocab"]!["a"] = "1", "model.vocab[\"a\"]", "\"1\"");
        Refused(j => j["model"]!["unk_token"] = "<unk>", "model.unk_token", "<unk>");
        Refused(j => j["model"]!["vocab"] = new JsonObject(), "model.vocab", "{}");
        Refused(j => j["added_tokens"]![0]!["id"] = "x", "added_tokens[0].id", "\"x\"");
    }
}
