using SafetyNotebooks.Data.LitData;

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

    /// <summary>Reads and checks one split's index.json (<see cref="LitDataIndex"/>: LitGPT reads every format and compression it accepts).</summary>
    public static LitDataSplit ReadSplit(string name, string dir)
    {
        var index = LitDataIndex.Read(dir);
        return new LitDataSplit(name, System.IO.Path.GetFullPath(dir), index.Chunks.Count, index.Tokens, index.Bytes, index.DataFormat);
    }
}
