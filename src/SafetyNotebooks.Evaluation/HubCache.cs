using SafetyNotebooks.Data;

namespace SafetyNotebooks.Evaluation;

/// <summary>
/// Finds the data files of an evaluation dataset already in the local Hugging Face cache (the data layer's
/// <see cref="HfCache"/>: <c>$HF_HUB_CACHE</c>, else <c>$HF_HOME/hub</c>, else <c>~/.cache/huggingface/hub</c>).
/// Nothing is downloaded here; <c>safetynb data fetch</c> or <c>huggingface-cli download</c> put files there.
/// </summary>
public static class HubCache
{
    /// <summary>
    /// The data files (.parquet, .jsonl, .json) of dataset <paramref name="repoId"/> in the snapshot of
    /// <paramref name="revision"/>, sorted by path; files whose path names <paramref name="split"/> are preferred.
    /// </summary>
    public static IReadOnlyList<string> DatasetFiles(string repoId, string split = "train", string? cacheRoot = null, string revision = "main")
    {
        var cache = cacheRoot is null ? HfCache.FromEnvironment() : new HfCache(cacheRoot);
        var snapshot = cache.Snapshot(repoId, Manifest.DatasetKind, revision)
            ?? throw new BadInputException($"dataset {repoId} is not in the Hugging Face cache (fetch it with `huggingface-cli download --repo-type dataset {repoId}`, or pass a file)", cache.Root);
        var files = cache.CachedFiles(repoId, Manifest.DatasetKind, revision, ["**/*.parquet", "**/*.jsonl", "**/*.json", "*.parquet", "*.jsonl", "*.json"])
            .Where(p => Path.GetFileName(p) is not ("dataset_infos.json" or "dataset_info.json") && !Path.GetFileName(p).StartsWith('.'))
            .ToList();
        var ofSplit = files.Where(p => p.Contains(split, StringComparison.OrdinalIgnoreCase)).ToList();
        var chosen = (ofSplit.Count > 0 ? ofSplit : files).Select(p => SafePath.Combine(snapshot, p, repoId)).ToList();
        return chosen.Count > 0 ? chosen : throw new BadInputException("no .parquet/.jsonl/.json data files in the cached snapshot", snapshot);
    }
}
