using System.Text.Json;

namespace SafetyNotebooks.Launch;

/// <summary>One LitData optimized split (a folder with index.json and chunk-*.bin files) as the launcher sees it.</summary>
public sealed record LitDataSplit(string Name, string Path, int Chunks, long Tokens, long Bytes, string DataFormat);

/// <summary>
/// A LitData dataset folder as LitGPT's <c>LitData</c> data module reads it: either <c>DIR/train</c> (+ optional
/// <c>DIR/val</c>) each holding an index.json, or a single optimized folder at <c>DIR</c> (then validation reuses the
/// training stream). Only TokensLoader datasets can be pretrained on (PRETRAINING.md §1.7).
/// </summary>
public sealed record LitDataFolder(string Root, LitDataSplit Train, LitDataSplit? Val)
{
    /// <summary>LitGPT's <c>data_path</c>: the root when it has train/ and val/, otherwise the one optimized folder.</summary>
    public string DataPath => Val is null ? Train.Path : Root;

    /// <summary>LitGPT's <c>split_names</c>: [train, val] for the two-folder layout; null (validation reuses training data) otherwise.</summary>
    public IReadOnlyList<string>? SplitNames => Val is null ? null : ["train", "val"];

    /// <summary>
    /// A dataset that is not on this machine (e.g. the cluster's 600B-token folder), described by its size: train/ and
    /// val/ splits of int32 tokens, so a plan can be made before the data is written or copied.
    /// </summary>
    public static LitDataFolder Planned(string root, long trainTokens, long valTokens = 0, int bytesPerToken = 4)
    {
        var full = System.IO.Path.GetFullPath(root);
        var train = new LitDataSplit("train", System.IO.Path.Combine(full, "train"), 0, trainTokens, trainTokens * bytesPerToken, "no_header_tensor:16");
        var val = valTokens > 0 ? new LitDataSplit("val", System.IO.Path.Combine(full, "val"), 0, valTokens, valTokens * bytesPerToken, "no_header_tensor:16") : null;
        return new LitDataFolder(full, train, val);
    }

    public static LitDataFolder Inspect(string root)
    {
        if (!Directory.Exists(root))
            throw new BadInputException("data folder does not exist", "--data", value: root);
        var trainDir = System.IO.Path.Combine(root, "train");
        if (File.Exists(System.IO.Path.Combine(trainDir, "index.json")))
        {
            var valDir = System.IO.Path.Combine(root, "val");
            var val = File.Exists(System.IO.Path.Combine(valDir, "index.json")) ? ReadSplit("val", valDir) : null;
            return new LitDataFolder(System.IO.Path.GetFullPath(root), ReadSplit("train", trainDir), val);
        }
        if (File.Exists(System.IO.Path.Combine(root, "index.json")))
            return new LitDataFolder(System.IO.Path.GetFullPath(root), ReadSplit("", root), null);
        throw new BadInputException("not a LitData optimized dataset: no index.json in the folder or in its train/ subfolder " +
                                    "(write it with the toolkit's LitData writer or litdata.optimize)", "--data", value: root);
    }

    /// <summary>Reads and checks one split's index.json: TokensLoader items, and every listed chunk present at its recorded size.</summary>
    public static LitDataSplit ReadSplit(string name, string dir)
    {
        var index = System.IO.Path.Combine(dir, "index.json");
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllBytes(index)); }
        catch (JsonException e) { throw new BadInputException($"not valid JSON: {e.Message}", index, inner: e); }
        using (doc)
        {
            var root = doc.RootElement;
            if (!root.TryGetProperty("config", out var config) || config.ValueKind != JsonValueKind.Object)
                throw new BadInputException("missing the 'config' object of a LitData index", index, "config");
            var loader = config.TryGetProperty("item_loader", out var l) ? l.GetString() : null;
            if (loader != "TokensLoader")
                throw new BadInputException("LitGPT pretraining reads token streams; the dataset must use TokensLoader", index, "config.item_loader", loader ?? "(missing)");
            var format = config.TryGetProperty("data_format", out var f) && f.ValueKind == JsonValueKind.Array && f.GetArrayLength() == 1
                ? f[0].GetString() ?? "" : throw new BadInputException("expected a one-element data_format list", index, "config.data_format");
            if (!format.StartsWith("no_header_tensor:", StringComparison.Ordinal) && !format.StartsWith("no_header_numpy:", StringComparison.Ordinal))
                throw new BadInputException("expected a header-less token tensor format", index, "config.data_format", format);
            if (!root.TryGetProperty("chunks", out var chunks) || chunks.ValueKind != JsonValueKind.Array || chunks.GetArrayLength() == 0)
                throw new BadInputException("the index lists no chunks", index, "chunks");
            long tokens = 0, bytes = 0;
            var n = 0;
            foreach (var c in chunks.EnumerateArray())
            {
                var file = c.TryGetProperty("filename", out var fn) ? fn.GetString() ?? "" : "";
                var chunkPath = SafePath.Combine(dir, file, index);
                var expected = c.TryGetProperty("chunk_bytes", out var cb) && cb.TryGetInt64(out var v) ? v : -1;
                if (!File.Exists(chunkPath))
                    throw new BadInputException("chunk listed in the index is missing", index, $"chunks[{n}].filename", file);
                var actual = new FileInfo(chunkPath).Length;
                if (expected != actual)
                    throw new BadInputException($"chunk is {actual} bytes but the index says {expected} (incomplete copy?)", index, $"chunks[{n}].chunk_bytes", file);
                tokens += c.TryGetProperty("dim", out var dim) && dim.TryGetInt64(out var d) ? d : 0;
                bytes += actual;
                n++;
            }
            return new LitDataSplit(name, System.IO.Path.GetFullPath(dir), n, tokens, bytes, format);
        }
    }
}
