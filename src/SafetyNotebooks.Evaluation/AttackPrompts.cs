namespace SafetyNotebooks.Evaluation;

/// <summary>Loaders for the prompt sets of the safety evaluations (PAPER.md §3.2, §3.4).</summary>
public static class AttackPrompts
{
    public const string JbCompletionsRepo = "locuslab/jb-completions";

    /// <summary>
    /// jb-completions rows (<c>original_behavior</c>, <c>completion_behavior</c>, <c>source_dataset</c>) from a Parquet,
    /// JSONL or JSON file. The base-model protocol: the prompt is <c>completion_behavior</c>, judged against
    /// <c>original_behavior</c>. Ids are the row's <c>id</c> when present, else <c>jb-{row}</c>.
    /// </summary>
    public static async Task<IReadOnlyList<AttackPrompt>> LoadJbCompletionsAsync(string path, CancellationToken cancel = default)
    {
        var rows = await TableRows.ReadAsync(path, cancel);
        var prompts = rows.Select(r => new AttackPrompt(
            r.OptionalString("id") ?? $"jb-{r.Number:D4}",
            Prompt: r.RequiredString("completion_behavior"),
            Behavior: r.RequiredString("original_behavior"),
            Source: r.RequiredString("source_dataset"),
            Category: r.OptionalString("category"))).ToList();
        return RequireUniqueIds(prompts, path);
    }

    /// <summary>jb-completions from the local Hugging Face cache (every data file of the train split, in path order).</summary>
    public static Task<IReadOnlyList<AttackPrompt>> LoadJbCompletionsFromHubCacheAsync(string? cacheRoot = null, CancellationToken cancel = default) =>
        LoadJbCompletionsAsync(HubCache.DatasetFiles(JbCompletionsRepo, "train", cacheRoot), cancel);

    /// <summary>jb-completions from several data files (a dataset's shards), in the given order.</summary>
    public static async Task<IReadOnlyList<AttackPrompt>> LoadJbCompletionsAsync(IReadOnlyList<string> files, CancellationToken cancel = default)
    {
        var all = new List<AttackPrompt>();
        foreach (var file in files)
        {
            var part = await LoadJbCompletionsAsync(file, cancel);
            // Row ids restart in each file; prefix them with the file index when there are several.
            all.AddRange(files.Count == 1 ? part : part.Select(p => p with { Id = $"{Path.GetFileNameWithoutExtension(file)}-{p.Id}" }));
        }
        return RequireUniqueIds(all, string.Join(", ", files));
    }

    /// <summary>Column names recognised as the behaviour (HarmBench: Behavior; AdvBench: goal; JailbreakBench: Goal).</summary>
    public static readonly string[] BehaviorColumns = ["behavior", "Behavior", "goal", "Goal", "prompt", "instruction"];
    public static readonly string[] CategoryColumns = ["category", "Category", "SemanticCategory", "FunctionalCategory"];
    public static readonly string[] SourceColumns = ["source", "Source", "source_dataset"];
    public static readonly string[] IdColumns = ["id", "BehaviorID", "behavior_id", "Index"];

    /// <summary>
    /// A behaviour list (CSV, JSON, JSONL or Parquet): one harmful request per row in a behaviour column
    /// (<paramref name="behaviorColumn"/>, or the first of <see cref="BehaviorColumns"/> present), with optional category and
    /// source columns. Rows without a source get <paramref name="defaultSource"/> (default: the file name).
    /// </summary>
    public static async Task<IReadOnlyList<AttackPrompt>> LoadBehaviorsAsync(string path, string? behaviorColumn = null, string? defaultSource = null, CancellationToken cancel = default)
    {
        var rows = await TableRows.ReadAsync(path, cancel);
        var source = defaultSource ?? Path.GetFileNameWithoutExtension(path);
        var columns = behaviorColumn is null ? BehaviorColumns : [behaviorColumn];
        var prompts = rows.Select(r =>
        {
            var behavior = r.RequiredString(columns);
            return new AttackPrompt(r.OptionalString(IdColumns) ?? $"{source}-{r.Number:D4}", behavior, behavior,
                r.OptionalString(SourceColumns) ?? source, r.OptionalString(CategoryColumns));
        }).ToList();
        return RequireUniqueIds(prompts, path);
    }

    static IReadOnlyList<AttackPrompt> RequireUniqueIds(List<AttackPrompt> prompts, string path)
    {
        var dup = prompts.GroupBy(p => p.Id, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        return dup is null ? prompts : throw new BadInputException("duplicate prompt id", path, "id", dup.Key);
    }
}
