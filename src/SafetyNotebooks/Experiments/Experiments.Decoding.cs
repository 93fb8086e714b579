using System.Diagnostics;
using Microsoft.Data.Analysis;
using Plotly.NET;
using SafetyNotebooks.Decoding;
using SafetyNotebooks.Modeling;
using SafetyNotebooks.Reporting;
using TorchSharp;
using static TorchSharp.torch;

namespace SafetyNotebooks;

public static partial class Experiments
{
    /// <summary>
    /// A random two-layer Llama over the toy world's byte-level vocabulary, saved as a Hugging Face model folder
    /// (config.json, model.safetensors, tokenizer.json with the harmfulness tag as its last token, 257): the model
    /// notebook 06 decodes when no trained one is at hand. Returns <paramref name="directory"/>.
    /// </summary>
    public static string ToyLlama(string directory, long seed = 0)
    {
        var config = new LlamaConfig(Tokenization.ByteLevelTokenizer.VocabSize, 32, 64, 2, 4, 2, 8, EosTokenId: Tokenization.ByteLevelTokenizer.EosId);
        using (var model = LlamaModel.Create(config, seed)) model.Save(directory);
        return Tokenization.ByteLevelTokenizer.Write(directory);
    }

    /// <summary>
    /// Settings of the Safe Beam Search experiment (notebook 06). <see cref="ModelDirectory"/>: a Llama folder (the
    /// fixture-sized llama-a by default; later a toy-world model with a harmfulness tag). <see cref="Prompts"/>: token ids,
    /// or <see cref="PromptTexts"/> when the folder has a tokenizer. <see cref="TagTokenId"/>: the harmfulness tag
    /// (default: the last id of the vocabulary). <see cref="NaiveSteps"/>: new tokens for the naive Safe Beam timing.
    /// </summary>
    public sealed record SafeBeamSearchOptions(
        string ModelDirectory,
        IReadOnlyList<IReadOnlyList<int>>? Prompts = null,
        IReadOnlyList<string>? PromptTexts = null,
        int? TagTokenId = null,
        int Beams = 4,
        int Candidates = 8,
        int MaxNewTokens = 12,
        int NaiveSteps = 2,
        string? Device = null);

    /// <summary>One prompt decoded both ways: plain beam search and Safe Beam Search.</summary>
    public sealed record SafeBeamComparison(IReadOnlyList<int> Prompt, GenerationResult Plain, GenerationResult Safe,
        IReadOnlyList<double> PlainTagProbability, IReadOnlyList<double> SafeTagProbability);

    /// <summary>Time per new token and forward passes of each decoder on the first prompt.</summary>
    public sealed record DecodingCostRow(string Decoder, double MillisecondsPerToken, double RelativeToPlainBeam, int ForwardPasses, long TokenRows, int NewTokens);

    public sealed record SafeBeamSearchResult(
        int TagTokenId,
        IReadOnlyList<SafeBeamComparison> Comparisons,
        IReadOnlyList<DecodingCostRow> Cost,
        DataFrame Table,
        DataFrame CostTable,
        GenericChart TagProbabilityChart,
        GenericChart CostChart);

    /// <summary>
    /// Plain beam search against Safe Beam Search (Algorithm 2) on the same prompts and the same k: the continuations,
    /// the harmfulness-tag probability after every prefix of each continuation, and what each decoder costs (including
    /// the naive Safe Beam that runs k + k·n uncached forwards per step).
    /// </summary>
    public static SafeBeamSearchResult SafeBeamSearch(SafeBeamSearchOptions options, LocalModelLoader? loader = null)
    {
        var local = (loader ?? LocalModels.Load)(options.ModelDirectory, options.Device);
        var model = local.Model;
        var tag = options.TagTokenId ?? (int)model.VocabSize - 1;
        var prompts = options.Prompts
            ?? options.PromptTexts?.Select(t => (local.Tokenizer ?? throw new BadInputException("prompt texts need the model's tokenizer", options.ModelDirectory, "tokenizer.json")).Encode(t)).ToArray()
            ?? throw new BadInputException("give prompts as token ids or texts", "safe-beam-search experiment", "prompts");
        var stopping = new Stopping(options.MaxNewTokens, local.EosTokenIds.Where(e => e != tag).ToArray());
        var plainStrategy = new BeamDecoding(options.Beams, LengthPenalty: 0);
        var safeStrategy = new SafeBeamDecoding(tag, options.Beams, options.Candidates);

        var plain = plainStrategy.Run(model, prompts, stopping);
        var safe = safeStrategy.Run(model, prompts, stopping);
        var comparisons = prompts.Select((p, i) => new SafeBeamComparison(p, plain[i], safe[i],
            TagProbabilities(model, p, plain[i].Tokens, tag), TagProbabilities(model, p, safe[i].Tokens, tag))).ToArray();

        var cost = Cost(model, prompts[0], stopping, options, plainStrategy, safeStrategy);
        return new SafeBeamSearchResult(tag, comparisons, cost, Table(comparisons, local, tag), CostTable(cost), TagChart(comparisons), CostChart(cost));
    }

    /// <summary>p(tag | prompt + the first t new tokens) for t = 1..|tokens|: the look-ahead Safe Beam filters on, along a continuation.</summary>
    public static IReadOnlyList<double> TagProbabilities(ICausalLanguageModel model, IReadOnlyList<int> prompt, IReadOnlyList<int> tokens, int tag)
    {
        if (tokens.Count == 0) return [];
        using var scope = NewDisposeScope();
        using var inference = Inference.Mode();
        var sequence = prompt.Concat(tokens).Select(t => (long)t).ToArray();
        var logits = model.Forward(tensor(sequence, [1, sequence.Length], device: model.Device))[0].to_type(ScalarType.Float32);
        var after = logits.narrow(0, prompt.Count, tokens.Count);                     // the distributions after each new token
        var p = (after[TensorIndex.Colon, tag] - after.logsumexp(1)).exp().cpu();
        return p.data<float>().ToArray().Select(x => (double)x).ToArray();
    }

    static IReadOnlyList<DecodingCostRow> Cost(ICausalLanguageModel model, IReadOnlyList<int> prompt, Stopping stopping, SafeBeamSearchOptions o,
        BeamDecoding plain, SafeBeamDecoding safe)
    {
        (double PerToken, GenerationResult Result) Time(Func<GenerationResult> run)
        {
            run();   // warm-up
            var watch = Stopwatch.StartNew();
            var r = run();
            return (watch.Elapsed.TotalMilliseconds / Math.Max(1, r.Tokens.Count), r);
        }
        var naiveStopping = stopping with { MaxNewTokens = Math.Min(o.NaiveSteps, stopping.MaxNewTokens) };
        var rows = new[]
        {
            ("greedy", Time(() => Greedy.Run(model, prompt, new GreedyOptions(stopping)))),
            ($"beam search (k={o.Beams})", Time(() => plain.Run(model, prompt, stopping))),
            ($"Safe Beam (k={o.Beams}, n={o.Candidates})", Time(() => safe.Run(model, prompt, stopping))),
            ($"naive Safe Beam ({naiveStopping.MaxNewTokens} tokens)", Time(() => NaiveSafeBeamSearch.Run(model, prompt, safe.Options(naiveStopping)))),
        };
        var beam = rows[1].Item2.PerToken;
        return rows.Select(r => new DecodingCostRow(r.Item1, r.Item2.PerToken, r.Item2.PerToken / beam, r.Item2.Result.Cost.ForwardPasses,
            r.Item2.Result.Cost.TokenRows, r.Item2.Result.Tokens.Count)).ToArray();
    }

    static DataFrame Table(IReadOnlyList<SafeBeamComparison> comparisons, LocalModel local, int tag)
    {
        string Text(IReadOnlyList<int> tokens) => local.Tokenizer?.Decode(tokens) ?? string.Join(" ", tokens);
        var rows = comparisons.SelectMany((c, i) => new[] { (i, "beam search", c.Plain, c.PlainTagProbability), (i, "Safe Beam", c.Safe, c.SafeTagProbability) }).ToArray();
        return new DataFrame(
            new PrimitiveDataFrameColumn<int>("prompt", rows.Select(r => r.i)),
            new StringDataFrameColumn("decoder", rows.Select(r => r.Item2)),
            new StringDataFrameColumn("continuation", rows.Select(r => Text(r.Item3.Tokens))),
            new PrimitiveDataFrameColumn<double>("log-prob", rows.Select(r => Math.Round(r.Item3.LogProb, 3))),
            new PrimitiveDataFrameColumn<double>("mean p(tag)", rows.Select(r => Math.Round(r.Item4.DefaultIfEmpty(0).Average(), 4))),
            new PrimitiveDataFrameColumn<double>("max p(tag)", rows.Select(r => Math.Round(r.Item4.DefaultIfEmpty(0).Max(), 4))),
            new PrimitiveDataFrameColumn<bool>("emits tag", rows.Select(r => r.Item3.Tokens.Contains(tag))));
    }

    static DataFrame CostTable(IReadOnlyList<DecodingCostRow> cost) => new(
        new StringDataFrameColumn("decoder", cost.Select(c => c.Decoder)),
        new PrimitiveDataFrameColumn<double>("ms / token", cost.Select(c => Math.Round(c.MillisecondsPerToken, 2))),
        new PrimitiveDataFrameColumn<double>("x beam search", cost.Select(c => Math.Round(c.RelativeToPlainBeam, 2))),
        new PrimitiveDataFrameColumn<int>("forwards", cost.Select(c => c.ForwardPasses)),
        new PrimitiveDataFrameColumn<long>("token rows", cost.Select(c => c.TokenRows)),
        new PrimitiveDataFrameColumn<int>("new tokens", cost.Select(c => c.NewTokens)));

    static GenericChart TagChart(IReadOnlyList<SafeBeamComparison> comparisons)
    {
        var lines = comparisons.SelectMany((c, i) => new[]
        {
            Plotly.NET.CSharp.Chart.Line<int, double, string>(x: Enumerable.Range(1, c.PlainTagProbability.Count), y: c.PlainTagProbability, Name: $"prompt {i}: beam search", ShowMarkers: true),
            Plotly.NET.CSharp.Chart.Line<int, double, string>(x: Enumerable.Range(1, c.SafeTagProbability.Count), y: c.SafeTagProbability, Name: $"prompt {i}: Safe Beam", ShowMarkers: true),
        });
        return Plotly.NET.GenericChart.combine(lines).Titled("p(harmfulness tag) after each new token of the best beam");
    }

    static GenericChart CostChart(IReadOnlyList<DecodingCostRow> cost) =>
        Plotly.NET.CSharp.Chart.Column<double, string, string>(cost.Select(c => c.MillisecondsPerToken), Keys: cost.Select(c => c.Decoder).ToArray())
            .Titled("milliseconds per new token (same model, same prompt, this machine)");
}
