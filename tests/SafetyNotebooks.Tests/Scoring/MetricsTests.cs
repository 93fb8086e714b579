using FsCheck;
using FsCheck.Fluent;
using SafetyNotebooks.Scoring;

namespace SafetyNotebooks.Tests.Scoring;

public sealed class MetricsTests
{
    [Fact]
    public void Published_confusion_matrices_reproduce_table_3_rows_for_gte_base_and_qwen()
    {
        var gte = SafetyMetrics.Of(PaperNumbers.GteBase);
        Assert.Equal(0.4114, Math.Round(gte.F1Macro, 4));
        Assert.Equal(0.7748, Math.Round(gte.RecallAt1, 4));
        Assert.Equal(0.6821, Math.Round(gte.RecallAt3, 4));
        var qwen = SafetyMetrics.Of(PaperNumbers.Qwen7B);
        Assert.Equal(0.3492, Math.Round(qwen.F1Macro, 4));
        Assert.Equal(0.8940, Math.Round(qwen.RecallAt1, 4));
        Assert.Equal(0.5232, Math.Round(qwen.RecallAt3, 4));
        // Every published matrix has the same 3,001 held-out examples.
        Assert.All(new[] { PaperNumbers.GteBase, PaperNumbers.GteLarge, PaperNumbers.Qwen7B, PaperNumbers.EnsembleMax }, m => Assert.Equal(3001, m.Total));
    }

    [Fact]
    public void Perfect_predictions_score_one_and_recall_counts_pred_at_or_above_threshold()
    {
        int[] truth = [0, 1, 2, 3, 4, 5, 0, 3];
        var perfect = SafetyMetrics.Of(truth, truth);
        Assert.Equal((1.0, 1.0, 1.0), (perfect.F1Macro, perfect.RecallAt1, perfect.RecallAt3));
        // truth ≥ 3: {3, 4, 5, 3}; predicted 5, 3, 0, 2 → 2 of 4 recalled at 3.
        var m = ConfusionMatrix.From([3, 4, 5, 3], [5, 3, 0, 2]);
        Assert.Equal(0.5, SafetyMetrics.RecallAt(m, 3));
        Assert.Equal(0.75, SafetyMetrics.RecallAt(m, 1));
    }

    [Fact]
    public void Ensemble_is_the_elementwise_maximum()
    {
        Assert.Equal([3, 2, 5], Ensemble.Max([3, 0, 5], [1, 2, 4]));
        Assert.Throws<ArgumentException>(() => Ensemble.Max([1], [1, 2]));
    }

    [Fact]
    public void Bad_matrices_are_refused_with_the_place_named()
    {
        var e = Assert.Throws<BadInputException>(() => ConfusionMatrix.FromRows([[1, 2]], "m.json"));
        Assert.Contains("m.json", e.Message);
    }

    // Raising every prediction can only keep or raise Recall@t (the ensemble's reason to exist).
    [FsCheck.Xunit.Property(MaxTest = 200)]
    public Property Max_ensemble_never_lowers_recall()
    {
        var scores = Gen.Choose(0, 5).ArrayOf().Where(a => a.Length > 0);
        return Prop.ForAll(Gen.Zip(scores, Gen.Choose(1, 5)).ToArbitrary(), pair =>
        {
            var (truth, t) = pair;
            var a = truth.Select((x, i) => (x + i) % 6).ToArray();
            var b = truth.Select((x, i) => (x * 7 + i * 3) % 6).ToArray();
            var ra = SafetyMetrics.RecallAt(ConfusionMatrix.From(truth, a), t);
            var rm = SafetyMetrics.RecallAt(ConfusionMatrix.From(truth, Ensemble.Max(a, b)), t);
            return double.IsNaN(ra) || rm >= ra;
        });
    }
}
