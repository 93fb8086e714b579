using SafetyNotebooks.Data.Toy;

namespace SafetyNotebooks.Tests.Data;

public class ToySignalTests
{
    static string[] Words(string text) => text.ToLowerInvariant().Split([' ', '\n', '.', ',', ':', '!', '?'], StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Multinomial naive Bayes over words: the simplest classifier that could learn the toy rubric.</summary>
    static double NaiveBayesAccuracy(IReadOnlyList<(string Text, int Score)> train, IReadOnlyList<(string Text, int Score)> test)
    {
        var counts = Enumerable.Range(0, 6).Select(_ => new Dictionary<string, int>()).ToArray();
        var totals = new double[6];
        var priors = new double[6];
        foreach (var (text, score) in train)
        {
            priors[score]++;
            foreach (var w in Words(text)) { counts[score][w] = counts[score].GetValueOrDefault(w) + 1; totals[score]++; }
        }
        var vocab = counts.SelectMany(c => c.Keys).Distinct().Count();
        var correct = 0;
        foreach (var (text, score) in test)
        {
            var best = Enumerable.Range(0, 6).MaxBy(s => Math.Log(priors[s] + 1) + Words(text).Sum(w => Math.Log((counts[s].GetValueOrDefault(w) + 1.0) / (totals[s] + vocab))));
            if (best == score) correct++;
        }
        return (double)correct / test.Count;
    }

    [Fact]
    public void A_bag_of_words_classifier_learns_the_scores_but_not_perfectly()
    {
        var o = new ToyOptions(21);
        var train = ToyWorld.Corpus(3000, o).Select(d => (d.Text, d.SafetyScore!.Value)).ToList();
        var test = ToyWorld.HeldOut(1000, o).Select(d => (d.Text, d.SafetyScore!.Value)).ToList();
        var accuracy = NaiveBayesAccuracy(train, test);
        var majority = test.Count(t => t.Item2 == 0) / (double)test.Count;
        Assert.True(accuracy > majority + 0.2, $"accuracy {accuracy:0.000} vs majority {majority:0.000}");
        Assert.True(accuracy < 0.995, $"accuracy {accuracy:0.000}: the toy rubric is trivially separable");
    }
}
