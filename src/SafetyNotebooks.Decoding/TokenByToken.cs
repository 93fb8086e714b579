using SafetyNotebooks.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace SafetyNotebooks.Decoding;

/// <summary>
/// The loop shared by greedy decoding and sampling: one row per prompt, one token per step, rows that end are dropped
/// from the cache. <c>choose</c> picks each live row's token from its float32 logits [rows, vocab].
/// </summary>
internal static class TokenByToken
{
    public delegate long[] Chooser(Tensor logits, IReadOnlyList<int> promptOfRow);

    public static IReadOnlyList<GenerationResult> Run(
        ICausalLanguageModel model, IReadOnlyList<IReadOnlyList<int>> prompts, Stopping stopping, Chooser choose)
    {
        using var inference = Inference.Mode();
        Prompts.Validate(prompts, model.VocabSize);
        stopping.Validate(model.VocabSize);
        var tokens = prompts.Select(_ => new List<int>()).ToArray();
        var logProbs = new double[prompts.Count];
        var live = Enumerable.Range(0, prompts.Count).ToList();   // prompt of each row
        var (rows, logits) = CachedRows.Prefill(model, prompts);
        using (rows)
        {
            try
            {
                for (var step = 0; step < stopping.MaxNewTokens && live.Count > 0; step++)
                {
                    if (step > 0)
                    {
                        var next = rows.Step(live.Select(p => (long)tokens[p][^1]).ToArray());
                        logits.Dispose();
                        logits = next;
                    }
                    var chosen = choose(logits, live);
                    float[] chosenLogProb;
                    using (NewDisposeScope())
                        chosenLogProb = Host.Floats(torch.nn.functional.log_softmax(logits, 1)
                            .gather(1, tensor(chosen, [chosen.Length, 1], device: logits.device)));
                    var keep = new List<long>();
                    var stillLive = new List<int>();
                    for (var r = 0; r < live.Count; r++)
                    {
                        var p = live[r];
                        tokens[p].Add((int)chosen[r]);
                        logProbs[p] += chosenLogProb[r];
                        if (stopping.Hits(tokens[p])) continue;
                        keep.Add(r);
                        stillLive.Add(p);
                    }
                    if (stillLive.Count < live.Count && stillLive.Count > 0 && step + 1 < stopping.MaxNewTokens)
                        rows.Select(keep);
                    live = stillLive;
                }
            }
            finally { logits.Dispose(); }
            return prompts.Select((_, p) => new GenerationResult([new Hypothesis(tokens[p], logProbs[p], logProbs[p])], false, rows.Cost)).ToArray();
        }
    }
}
