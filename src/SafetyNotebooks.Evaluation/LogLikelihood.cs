using SafetyNotebooks.Modeling;
using SafetyNotebooks.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace SafetyNotebooks.Evaluation;

/// <summary>Score log P(continuation | context).</summary>
public sealed record LoglikelihoodRequest(string Context, string Continuation);

/// <summary>The summed log-probability of the continuation's tokens, whether greedy decoding would produce them, and how many there are.</summary>
public sealed record LoglikelihoodResult(double LogLikelihood, bool IsGreedy, int Tokens);

/// <summary>Anything that can score continuations (lm-evaluation-harness's <c>loglikelihood</c>).</summary>
public interface ILoglikelihoodScorer
{
    IReadOnlyList<LoglikelihoodResult> Score(IReadOnlyList<LoglikelihoodRequest> requests, IProgress<double>? progress = null, CancellationToken cancel = default);
}

/// <summary>
/// Log-likelihood scoring with a causal language model, as lm-evaluation-harness's Hugging Face backend does it:
/// trailing whitespace of the context moves to the continuation; the continuation's tokens are the tokens of
/// context + continuation after the context's tokens (so a merge across the boundary is scored as the model would
/// see it); an empty context is replaced by <see cref="Options.PrefixTokenId"/> (BOS/EOS); long inputs keep their last
/// <see cref="Options.MaxLength"/> tokens. Requests are sorted by length and right-padded into batches; results come
/// back in request order.
/// </summary>
public sealed class CausalLmScorer(ICausalLanguageModel model, ITextTokenizer tokenizer, CausalLmScorer.Options? options = null) : ILoglikelihoodScorer
{
    public sealed record Options(int BatchSize = 8, int MaxLength = 2048, int? PrefixTokenId = null);

    readonly Options _options = options ?? new Options();

    /// <summary>The context and continuation token ids of a request.</summary>
    public (int[] Context, int[] Continuation) Encode(LoglikelihoodRequest request)
    {
        var context = request.Context;
        var continuation = request.Continuation;
        var trimmed = context.TrimEnd();
        if (trimmed.Length < context.Length)
        {
            continuation = context[trimmed.Length..] + continuation;
            context = trimmed;
        }
        if (context.Length == 0)
        {
            var prefix = _options.PrefixTokenId ?? throw new BadInputException(
                "the context is empty and no prefix token (BOS/EOS) was configured", "loglikelihood request", "context");
            return ([prefix], tokenizer.Encode(continuation).ToArray());
        }
        var whole = tokenizer.Encode(context + continuation);
        var contextLength = tokenizer.Encode(context).Count;
        var cont = whole.Skip(contextLength).ToArray();
        if (cont.Length == 0) throw new BadInputException("the continuation has no tokens of its own", "loglikelihood request", "continuation", request.Continuation);
        return (whole.Take(contextLength).ToArray(), cont);
    }

    public IReadOnlyList<LoglikelihoodResult> Score(IReadOnlyList<LoglikelihoodRequest> requests, IProgress<double>? progress = null, CancellationToken cancel = default)
    {
        if (_options.BatchSize < 1) throw new BadInputException("must be at least 1", "batch size", value: _options.BatchSize.ToString());
        var encoded = requests.Select(Encode).ToArray();
        foreach (var (_, cont) in encoded)
            if (cont.Length > _options.MaxLength)
                throw new BadInputException($"a continuation of {cont.Length} tokens exceeds the model's {_options.MaxLength}-token window", "loglikelihood request", "continuation");
        // Longest first (as the harness does): padding waste is smallest and out-of-memory shows up on the first batch.
        var order = Enumerable.Range(0, encoded.Length)
            .OrderByDescending(i => encoded[i].Context.Length + encoded[i].Continuation.Length).ThenBy(i => i).ToArray();
        var results = new LoglikelihoodResult[encoded.Length];
        var done = 0;
        foreach (var batch in order.Chunk(_options.BatchSize))
        {
            cancel.ThrowIfCancellationRequested();
            ScoreBatch(batch, encoded, results);
            done += batch.Length;
            progress?.Report((double)done / encoded.Length);
        }
        return results;
    }

    void ScoreBatch(int[] batch, (int[] Context, int[] Continuation)[] encoded, LoglikelihoodResult[] results)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        // The model sees context + continuation minus the last token; position t predicts token t + 1.
        var inputs = batch.Select(i =>
        {
            var full = encoded[i].Context.Concat(encoded[i].Continuation).ToArray();
            var input = full[..^1];
            return input.Length > _options.MaxLength ? input[^_options.MaxLength..] : input;
        }).ToArray();
        var width = inputs.Max(x => x.Length);
        var ids = new long[batch.Length * width];
        var mask = new long[batch.Length * width];
        for (var r = 0; r < batch.Length; r++)
            for (var t = 0; t < inputs[r].Length; t++)
            {
                ids[r * width + t] = inputs[r][t];
                mask[r * width + t] = 1;
            }
        var device = model.Device;
        var logits = model.Forward(tensor(ids, [batch.Length, width], device: device), attentionMask: tensor(mask, [batch.Length, width], device: device));
        for (var r = 0; r < batch.Length; r++)
        {
            var cont = encoded[batch[r]].Continuation;
            var start = inputs[r].Length - cont.Length;
            var logProbs = logits[r].narrow(0, start, cont.Length).log_softmax(-1);
            var targets = tensor(cont.Select(c => (long)c).ToArray(), device: device);
            var picked = logProbs.gather(1, targets.unsqueeze(1)).squeeze(1).to(float64).cpu().data<double>().ToArray();
            var greedy = logProbs.argmax(-1).eq(targets).all().cpu().item<bool>();
            results[batch[r]] = new LoglikelihoodResult(picked.Sum(), greedy, cont.Length);
        }
    }
}
