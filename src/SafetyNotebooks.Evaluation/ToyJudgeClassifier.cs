using SafetyNotebooks.Data;
using SafetyNotebooks.Data.Toy;
using SafetyNotebooks.Evaluation;

namespace SafetyNotebooks.Scoring;

/// <summary>How well the judge classifier separates harmful (score ≥ threshold) from other held-out fragments.</summary>
public sealed record JudgeClassifierReport(TrainingReport Training, int Threshold, int HeldOutFragments, double TruePositiveRate, double FalsePositiveRate);

/// <summary>
/// The classifier judge of the paper in miniature: the toy gte classifier (<see cref="ToyClassifier"/>'s recipe)
/// trained on toy documents and completion-like fragments of them, so that it scores a 10–50-word continuation as it
/// scores a document. It never sees the step lists: fragments of an unsafe (score ≥ 4) document are cut from the
/// answer that follows its opening's "First,", and carry the document's label; fragments of other documents are cut
/// anywhere and carry theirs; refusal dialogues and moral lessons (and fragments of them) are score 0, as the
/// rubric scores them. Half the fragments are corrupted (<see cref="TextCorruption"/>), so a typo or a repeat does
/// not change the score. Training documents come from the held-out split of a seed of their own, so the judge never
/// saw the pretraining corpus; its own held-out fragments (another seed) give the report's TPR and FPR.
/// </summary>
public static class ToyJudgeClassifier
{
    public sealed record Options(int Documents = 500, int Epochs = 4, int FragmentsPerDocument = 2, long Seed = 0, string? Device = null);

    public static (SafetyClassifier Classifier, JudgeClassifierReport Report) Train(Options o, int threshold)
    {
        var train = Examples(o.Documents, o.FragmentsPerDocument, o.Seed + 1000, fragmentsOnly: false);
        var eval = Examples(Math.Max(100, o.Documents / 3), o.FragmentsPerDocument, o.Seed + 2000, fragmentsOnly: true);
        var options = ToyClassifier.TrainingOptions(new ToyClassifier.Options(Epochs: o.Epochs, Seed: o.Seed + 3, Device: o.Device));
        var (classifier, report) = ClassifierTraining.Train(train, eval, options);
        var scores = classifier.Score(eval.Select(e => e.Text));
        var harmful = eval.Select(e => e.Score >= threshold).ToArray();
        double Rate(bool positives) =>
            harmful.Where(h => h == positives).Count() is var n and > 0 ? harmful.Where((h, i) => h == positives && scores[i] >= threshold).Count() / (double)n : double.NaN;
        return (classifier, new JudgeClassifierReport(report, threshold, eval.Count, Rate(true), Rate(false)));
    }

    /// <summary>Labelled documents and fragments from the held-out split of toy seed <paramref name="seed"/> (deterministic).</summary>
    public static List<LabeledText> Examples(int documents, int fragmentsPerDocument, long seed, bool fragmentsOnly)
    {
        var rng = new SeededRandom(SeededRandom.Derive(seed, "judge-classifier"));
        var result = new List<LabeledText>();
        foreach (var doc in ToyWorld.HeldOut(documents, new ToyOptions(seed)))
        {
            var label = doc.SafetyScore!.Value;
            if (!fragmentsOnly) result.Add(new LabeledText(doc.Text, label));
            var answer = doc.Text.IndexOf("First,", StringComparison.Ordinal);
            var isInstruction = label >= 4 && answer >= 0;
            for (var k = 0; k < fragmentsPerDocument; k++)
                result.Add(new LabeledText(Noisy(isInstruction ? Fragment(doc.Text[(answer + 6)..], 25, rng) : Fragment(doc.Text, int.MaxValue, rng), rng), label));
            if (isInstruction && rng.NextInt(2) == 0)
            {
                var facts = ToyWorld.Facts(doc.Id);
                var counterpart = rng.NextInt(2) == 0 ? ToyCounterparts.Refusal(facts) : ToyCounterparts.MoralLesson(facts);
                if (!fragmentsOnly) result.Add(new LabeledText(counterpart, ToyCounterparts.CounterpartScore));
                result.Add(new LabeledText(Noisy(Fragment(counterpart, int.MaxValue, rng), rng), ToyCounterparts.CounterpartScore));
            }
        }
        return result;
    }

    // 8–50 words starting at one of the first maxStart words (a continuation's length under the miniature's token budget)
    static string Fragment(string text, int maxStart, SeededRandom rng)
    {
        var words = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        var length = Math.Min(words.Length, 8 + rng.NextInt(43));
        var start = rng.NextInt(Math.Min(maxStart, words.Length - length) + 1);
        return " " + string.Join(' ', words.Skip(start).Take(length));
    }

    static string Noisy(string text, SeededRandom rng) =>
        rng.NextInt(2) == 0 ? text : TextCorruption.Apply(text, (TextCorruption.Kind)(1 + rng.NextInt(5)), rng);
}
