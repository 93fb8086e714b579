namespace SafetyNotebooks.Evaluation;

/// <summary>
/// k-shot prompts: the task description, then k solved examples separated by blank lines, then the item's context.
/// Shots come from the task's shot pool, or from its other items when it has none; each item draws its own shots from a
/// seed derived from the task seed and the item id, so an item's prompt does not depend on which other items are evaluated
/// or in what order.
/// </summary>
public static class FewShot
{
    public const string Separator = "\n\n";

    /// <summary>The ids of the shots for <paramref name="item"/>: k distinct pool items other than the item itself.</summary>
    public static IReadOnlyList<McItem> Select(McTask task, McItem item, int k, long seed)
    {
        if (k < 0) throw new BadInputException("must be at least 0", "--shots", value: k.ToString());
        if (k == 0) return [];
        var pool = (task.ShotPool ?? task.Items).Where(p => p.Id != item.Id).ToList();
        if (pool.Count < k) throw new BadInputException($"{k} shots requested but only {pool.Count} items are available for shots", task.Name, "shots", k.ToString());
        // Partial Fisher–Yates: the first k positions of a seeded shuffle.
        var rng = new SeededRandom(SeededRandom.Derive(seed, item.Id));
        var idx = Enumerable.Range(0, pool.Count).ToArray();
        for (var i = 0; i < k; i++)
        {
            var j = i + rng.NextInt(pool.Count - i);
            (idx[i], idx[j]) = (idx[j], idx[i]);
        }
        return idx.Take(k).Select(i => pool[i]).ToList();
    }

    /// <summary>The text put before every option's context of <paramref name="item"/>.</summary>
    public static string Prefix(McTask task, McItem item, int k, long seed)
    {
        var parts = new List<string>();
        if (task.Description.Length > 0) parts.Add(task.Description.TrimEnd());
        parts.AddRange(Select(task, item, k, seed).Select(s => s.Solved));
        return parts.Count == 0 ? "" : string.Join(Separator, parts) + Separator;
    }
}
