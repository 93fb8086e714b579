using System.IO.Compression;
using System.Text.Json.Nodes;

namespace SafetyNotebooks.Tests.Tokenization;

/// <summary>The real tokenizer files of model families (fixtures/tokenizers/&lt;family&gt;/*.json.gz), unpacked once per process.</summary>
public static class FamilyFixtures
{
    public static readonly string[] Families = ["llama3", "llama3_1", "qwen3", "deepseek_v3", "gptoss", "gemma3", "llama2"];

    static readonly Dictionary<string, string> Unpacked = [];

    /// <summary>A folder with tokenizer.json and tokenizer_config.json of <paramref name="family"/>.</summary>
    public static string Folder(string family)
    {
        lock (Unpacked)
        {
            if (Unpacked.TryGetValue(family, out var dir)) return dir;
            dir = Foundation.TestDirs.Fresh("family-" + family);
            var source = Path.Combine(AppContext.BaseDirectory, "fixtures", "tokenizers", family);
            foreach (var gz in Directory.GetFiles(source, "*.json.gz"))
            {
                using var input = new GZipStream(File.OpenRead(gz), CompressionMode.Decompress);
                using var output = File.Create(Path.Combine(dir, Path.GetFileNameWithoutExtension(gz)));
                input.CopyTo(output);
            }
            return Unpacked[family] = dir;
        }
    }

    public static JsonObject Json(string family, string file = "tokenizer.json") =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(Folder(family), file)))!.AsObject();

    /// <summary>A variant of a family's tokenizer.json written to a fresh folder (for the Rust library, which reads files).</summary>
    public static string Variant(string family, string name, Action<JsonObject> change)
    {
        var dir = Foundation.TestDirs.Fresh($"variant-{family}-{name}");
        var json = Json(family);
        change(json);
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), json.ToJsonString());
        return Path.Combine(dir, "tokenizer.json");
    }
}
