using SafetyNotebooks.Data.Toy;
using SafetyNotebooks.Evaluation;

namespace SafetyNotebooks.Bench;

/// <summary>
/// <c>eval</c>: the cost of the evaluation statistics at the paper's scale (990 jb-completions, 10,000 bootstrap
/// resamples, 6 sources) and of multiple-choice scoring on the CPU n-gram baseline, batch 1 vs 16 (same process).
/// GPU scoring of a real checkpoint needs the Llama loader; the same <see cref="CausalLmScorer"/> runs it.
/// </summary>
public static class EvaluationBench
{
    public static int Run(string[] args)
    {
        var rng = new SeededRandom(1L);
        var outcomes = Enumerable.Range(0, 990).Select(i => new AsrOutcome($"p{i}", $"source{i % 6}", rng.NextInt(100) < 23)).ToList();
        var asr = Harness.Median(() => Asr.Compute(outcomes, seed: 0), runs: 5);
        Harness.Row("ASR, 990 prompts × 6 sources, 10k resamples", asr.TotalMilliseconds, "ms");
        var paired = Harness.Median(() => PairedComparison.Compare("a", outcomes, "b", outcomes.Select(o => o with { Harmful = !o.Harmful }), seed: 0), runs: 5);
        Harness.Row("paired bootstrap + McNemar, 990 pairs", paired.TotalMilliseconds, "ms");

        var tokenizer = new ByteTokenizer();
        var docs = Enumerable.Range(0, 200).Select(i => ToyWorld.Render(ToyWorld.Facts(i, new ToyOptions(0)))).ToList();
        var fit = Harness.Median(() => NGramLanguageModel.Fit(docs, tokenizer, 20, ByteTokenizer.BoundaryId), runs: 3);
        Harness.Row("n-gram fit, 200 toy documents, order 20", fit.TotalMilliseconds, "ms");
        var model = NGramLanguageModel.Fit(docs, tokenizer, 20, ByteTokenizer.BoundaryId);
        var held = Enumerable.Range(0, 80).Select(i => ToyWorld.ToDocument(ToyWorld.Facts(ToyWorld.HeldOutOffset + i, new ToyOptions(0))));
        var task = ToyWorldTasks.Cloze("bench", held, 40, 0);
        var one = Harness.Median(() => MultipleChoice.Evaluate(task, new CausalLmScorer(model, tokenizer, new(BatchSize: 1)), resamples: 100), runs: 3);
        var sixteen = Harness.Median(() => MultipleChoice.Evaluate(task, new CausalLmScorer(model, tokenizer, new(BatchSize: 16)), resamples: 100), runs: 3);
        Harness.Row("mc scoring, 40 items × 4 options, batch 1", 160 / one.TotalSeconds, "requests/s");
        Harness.Row("mc scoring, batch 16 (vs batch 1)", 160 / sixteen.TotalSeconds, "requests/s", one / sixteen);
        return 0;
    }
}
