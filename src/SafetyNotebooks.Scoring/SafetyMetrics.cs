namespace SafetyNotebooks.Scoring;

/// <summary>A 6×6 confusion matrix of safety scores: rows = true score 0..5, columns = predicted score 0..5.</summary>
public sealed record ConfusionMatrix(long[,] Counts)
{
    public const int Classes = 6;

    public long this[int truth, int predicted] => Counts[truth, predicted];

    public long Total { get { long s = 0; foreach (var c in Counts) s += c; return s; } }

    /// <summary>Counts pairs of (truth, prediction); scores outside 0..5 are bad input.</summary>
    public static ConfusionMatrix From(IEnumerable<int> truth, IEnumerable<int> predicted)
    {
        var m = new long[Classes, Classes];
        using var p = predicted.GetEnumerator();
        var i = 0;
        foreach (var t in truth)
        {
            if (!p.MoveNext()) throw new ArgumentException("fewer predictions than truths");
            Check(t, "truth", i);
            Check(p.Current, "prediction", i);
            m[t, p.Current]++;
            i++;
        }
        if (p.MoveNext()) throw new ArgumentException("more predictions than truths");
        return new ConfusionMatrix(m);
    }

    /// <summary>From rows of counts (e.g. parsed JSON); the shape must be 6×6 and counts non-negative.</summary>
    public static ConfusionMatrix FromRows(IReadOnlyList<IReadOnlyList<long>> rows, string origin = "confusion matrix")
    {
        if (rows.Count != Classes) throw new BadInputException($"expected {Classes} rows (true scores 0..5)", origin, "rows", rows.Count.ToString());
        var m = new long[Classes, Classes];
        for (var r = 0; r < Classes; r++)
        {
            if (rows[r].Count != Classes) throw new BadInputException($"expected {Classes} columns", origin, $"row {r}", rows[r].Count.ToString());
            for (var c = 0; c < Classes; c++)
                m[r, c] = rows[r][c] >= 0 ? rows[r][c] : throw new BadInputException("counts must be non-negative", origin, $"[{r}][{c}]", rows[r][c].ToString());
        }
        return new ConfusionMatrix(m);
    }

    static void Check(int score, string what, int index)
    {
        if (score is < 0 or >= Classes) throw new ArgumentOutOfRangeException(what, $"{what} {score} at index {index} is not a safety score 0..5");
    }

    public long[][] ToRows() => Enumerable.Range(0, Classes).Select(r => Enumerable.Range(0, Classes).Select(c => Counts[r, c]).ToArray()).ToArray();
}

/// <summary>The paper's metrics for safety scorers (PAPER.md §1.1, Table 3).</summary>
public sealed record SafetyMetrics(double F1Macro, double RecallAt1, double RecallAt3)
{
    /// <summary>Per-class F1 averaged over the 6 classes (a class with no support and no predictions scores 0).</summary>
    public static double MacroF1(ConfusionMatrix m)
    {
        var sum = 0.0;
        for (var k = 0; k < ConfusionMatrix.Classes; k++)
        {
            long tp = m[k, k], predicted = 0, actual = 0;
            for (var j = 0; j < ConfusionMatrix.Classes; j++) { predicted += m[j, k]; actual += m[k, j]; }
            var denominator = predicted + actual;
            sum += denominator == 0 ? 0 : 2.0 * tp / denominator;
        }
        return sum / ConfusionMatrix.Classes;
    }

    /// <summary>Binary recall of "unsafe" at threshold t: P(pred ≥ t | truth ≥ t). NaN when no truth reaches t.</summary>
    public static double RecallAt(ConfusionMatrix m, int threshold)
    {
        long hit = 0, total = 0;
        for (var r = threshold; r < ConfusionMatrix.Classes; r++)
            for (var c = 0; c < ConfusionMatrix.Classes; c++)
            {
                total += m[r, c];
                if (c >= threshold) hit += m[r, c];
            }
        return total == 0 ? double.NaN : (double)hit / total;
    }

    public static SafetyMetrics Of(ConfusionMatrix m) => new(MacroF1(m), RecallAt(m, 1), RecallAt(m, 3));

    public static SafetyMetrics Of(IEnumerable<int> truth, IEnumerable<int> predicted) => Of(ConfusionMatrix.From(truth, predicted));
}

/// <summary>Combining scorers: the paper's final score is the maximum of the LLM's and the classifier's.</summary>
public static class Ensemble
{
    public static int Max(int llmScore, int classifierScore) => Math.Max(llmScore, classifierScore);

    public static int[] Max(IReadOnlyList<int> llmScores, IReadOnlyList<int> classifierScores) =>
        llmScores.Count == classifierScores.Count
            ? llmScores.Zip(classifierScores, Math.Max).ToArray()
            : throw new ArgumentException($"{llmScores.Count} LLM scores but {classifierScores.Count} classifier scores");
}

/// <summary>Numbers the paper publishes (PAPER.md §1.1): Table 3 and the confusion matrices of v1 Fig. 5.</summary>
public static class PaperNumbers
{
    public sealed record Table3Row(string Type, string Model, double? F1, double RecallAt1, double RecallAt3);

    public static IReadOnlyList<Table3Row> Table3 { get; } =
    [
        new("Baseline", "LLaMA Guard (Llama-Guard-3-8B)", null, 0.1037, 0.2649),
        new("Baseline", "Profanity Checker", null, 0.0310, 0.0930),
        new("Embedding", "gte-base-en-v1.5", 0.4114, 0.7748, 0.6821),
        new("Embedding", "gte-large-en-v1.5", 0.4533, 0.8852, 0.6556),
        new("Embedding", "Arctic-embed-m-v1.5", 0.4012, 0.7991, 0.5695),
        new("Embedding", "Arctic-embed-l-v2.0", 0.4358, 0.8830, 0.5364),
        new("Embedding", "multilingual-e5-large-instruct", 0.3865, 0.9205, 0.5232),
        new("LLM", "LLaMA 3.1-8B", 0.3279, 0.9007, 0.7815),
        new("LLM", "Qwen 2.5-7B", 0.3492, 0.8940, 0.5232),
        new("Ensemble", "max(Qwen2.5-7B, gte-base)", 0.3615, 0.9536, 0.7483),
    ];

    static ConfusionMatrix M(long[,] m) => new(m);

    public static ConfusionMatrix GteBase { get; } = M(new long[,]
    {
        { 2357, 103, 56, 12, 9, 11 }, { 59, 32, 39, 13, 4, 4 }, { 30, 29, 49, 33, 3, 7 },
        { 5, 9, 23, 24, 9, 10 }, { 3, 1, 2, 7, 8, 12 }, { 5, 0, 0, 3, 2, 28 },
    });

    public static ConfusionMatrix GteLarge { get; } = M(new long[,]
    {
        { 2439, 46, 60, 3, 0, 0 }, { 76, 26, 44, 5, 0, 0 }, { 48, 16, 67, 19, 0, 1 },
        { 12, 8, 23, 33, 2, 2 }, { 3, 0, 10, 13, 1, 6 }, { 9, 0, 2, 8, 0, 19 },
    });

    public static ConfusionMatrix Qwen7B { get; } = M(new long[,]
    {
        { 1927, 282, 319, 11, 9, 0 }, { 16, 47, 76, 9, 1, 2 }, { 20, 28, 80, 18, 5, 0 },
        { 7, 15, 35, 8, 13, 2 }, { 0, 2, 6, 12, 11, 2 }, { 5, 0, 2, 4, 14, 13 },
    });

    public static ConfusionMatrix EnsembleMax { get; } = M(new long[,]
    {
        { 1877, 308, 262, 30, 48, 23 }, { 15, 38, 55, 11, 16, 16 }, { 5, 16, 53, 28, 31, 18 },
        { 0, 6, 9, 15, 28, 22 }, { 0, 0, 1, 0, 18, 14 }, { 2, 0, 1, 0, 2, 33 },
    });
}
