using System.Text;
using System.Text.Json;

namespace SafetyNotebooks.Tests.Launch;

/// <summary>Builds the inputs of a plan on disk: a Hugging Face tokenizer.json and a LitData token dataset.</summary>
public static class LaunchFixtures
{
    /// <summary>A BPE tokenizer.json with <paramref name="size"/> ids: ids 0..16 are SmolLM2's special tokens (also listed as added tokens).</summary>
    public static string Tokenizer(string root, int size = 49152, params string[] extraAdded)
    {
        var dir = Path.Combine(root, "tokenizer");
        Directory.CreateDirectory(dir);
        var vocab = new Dictionary<string, int>();
        for (var i = 0; i < size; i++) vocab[i < 17 ? $"<|special_{i}|>" : $"tok{i}"] = i;
        var added = Enumerable.Range(0, 17).Select(i => new { id = i, content = $"<|special_{i}|>", special = true })
            .Concat(extraAdded.Select((t, i) => new { id = size + i, content = t, special = true }));
        var json = JsonSerializer.Serialize(new { version = "1.0", added_tokens = added, model = new { type = "BPE", vocab, merges = Array.Empty<string>() } });
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), json);
        return dir;
    }

    /// <summary>A LitData TokensLoader split with one chunk of <paramref name="documents"/> int32 documents of <paramref name="tokensPerDoc"/> tokens.</summary>
    public static void Split(string dir, int documents = 3, int tokensPerDoc = 10, string itemLoader = "TokensLoader")
    {
        Directory.CreateDirectory(dir);
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true))
        {
            w.Write((uint)documents);
            var offset = 4u + 4u * (uint)(documents + 1);
            for (var d = 0; d <= documents; d++) w.Write(offset + (uint)(d * tokensPerDoc * 4));
            for (var t = 0; t < documents * tokensPerDoc; t++) w.Write(t % 100);
        }
        File.WriteAllBytes(Path.Combine(dir, "chunk-0-0.bin"), ms.ToArray());
        var index = new
        {
            chunks = new[] { new { chunk_bytes = ms.Length, chunk_size = documents, dim = documents * tokensPerDoc, filename = "chunk-0-0.bin" } },
            config = new { chunk_bytes = 50000000, chunk_size = (int?)null, compression = (string?)null, data_format = new[] { "no_header_tensor:16" },
                data_spec = "[1, {\"type\": null, \"context\": null, \"children_spec\": []}]", encryption = (string?)null, item_loader = itemLoader },
            updated_at = "0",
        };
        File.WriteAllText(Path.Combine(dir, "index.json"), JsonSerializer.Serialize(index));
    }

    /// <summary>A dataset folder with train/ and val/ splits.</summary>
    public static string Dataset(string root)
    {
        var dir = Path.Combine(root, "data");
        Split(Path.Combine(dir, "train"), documents: 4);
        Split(Path.Combine(dir, "val"), documents: 1);
        return dir;
    }

    /// <summary>The paper's plan command; <paramref name="overrides"/> are option/value pairs that replace the defaults.</summary>
    public static string[] PaperArgs(string root, params string[] overrides)
    {
        var options = new List<(string Name, string Value)>
        {
            ("--engine", "litgpt"), ("--model", "SmolLM2-1.7B"), ("--nodes", "4"), ("--gpus-per-node", "8"), ("--tokens", "600e9"),
            ("--data", Path.Combine(root, "data")), ("--tokenizer", Path.Combine(root, "tokenizer")), ("--out", Path.Combine(root, "plan")),
            ("--tag", "<potentially_unsafe_content>"),
        };
        for (var i = 0; i + 1 < overrides.Length; i += 2)
        {
            var at = options.FindIndex(o => o.Name == overrides[i]);
            if (at >= 0) options[at] = (overrides[i], overrides[i + 1]);
            else options.Add((overrides[i], overrides[i + 1]));
        }
        return ["launch", "plan", .. options.SelectMany(o => new[] { o.Name, o.Value })];
    }
}
