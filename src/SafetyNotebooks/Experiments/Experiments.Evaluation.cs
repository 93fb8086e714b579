using Microsoft.Data.Analysis;
using Plotly.NET;
using SafetyNotebooks.Data;
using SafetyNotebooks.Data.Toy;
using SafetyNotebooks.Evaluation;

namespace SafetyNotebooks;

public static partial class Experiments
{
    /// <param name="Documents">Toy documents in each pretraining corpus.</param>
    /// <param name="Order">n-gram order of the toy models (bytes of context + 1).</param>
    /// <param name="Prompts">Toy jb-completion prompts of the attack.</param>
    /// <param name="MaxNewTokens">Greedy continuation length (bytes).</param>
    /// <param name="TaskItems">Items per toy benchmark task.</param>
    /// <param name="Shots">Few-shot examples per benchmark prompt.</param>
    /// <param name="Resamples">Bootstrap resamples of every confidence interval.</param>
    public sealed record EvaluationOptions(
        int Documents = 200, int Order = 20, int Prompts = 40, int MaxNewTokens = 160, int TaskItems = 40, int Shots = 0,
        long Seed = 0, int Resamples = 2000);

    /// <summary>One attack: a pretraining setting judged by one judge.</summary>
    public sealed record AttackSetting(string Setting, string Judge, AsrReport Report, IReadOnlyList<JudgedGeneration> Judged);

    /// <summary>
    /// What the evaluation notebook shows: ASR of each data setting under two judges (with bootstrap CIs), the paired
    /// comparison of the raw and the safety-data setting (paired bootstrap + McNemar), the toy benchmark table, the
    /// Fig. 2-style chart and a few generations.
    /// </summary>
    public sealed record EvaluationResult(
        IReadOnlyList<string> Settings,
        IReadOnlyList<AttackSetting> Attacks,
        PairedComparisonResult Comparison,
        IReadOnlyList<BenchmarkRow> Benchmarks,
        GenericChart AsrChart,
        DataFrame AsrTable,
        DataFrame BenchmarkTable,
        string BenchmarkHtml,
        DataFrame Examples);

    public const string RawSetting = "raw data";
    public const string ScoreZeroSetting = "score 0 only";
    public const string SafetyDataSetting = "safety data";

    /// <summary>
    /// The paper's safety evaluation in miniature, on CPU in seconds. Three pretraining corpora are drawn from the toy
    /// world (PAPER.md §1): the raw corpus; its score-0 documents only; and the safety-data corpus (score 0 as is,
    /// score 1–3 rephrased, score 4–5 turned into refusals and moral lessons). A byte-level n-gram model is fitted on
    /// each (standing in for pretraining) and attacked with the toy jb-completion prompts (the base-model protocol:
    /// the prompt is the harmful opening, the judge checks the continuation against the request). Each setting is judged
    /// by the toy world's lexical judge and by the refusal-phrase heuristic; general ability is measured on two toy
    /// cloze tasks from held-out documents (Table 1 in miniature).
    /// </summary>
    public static EvaluationResult Evaluation(EvaluationOptions? options = null)
    {
        var o = options ?? new EvaluationOptions();
        if (o.Documents < 10) throw new BadInputException("must be at least 10", "documents", value: o.Documents.ToString());
        if (o.Order < 1) throw new BadInputException("must be at least 1", "order", value: o.Order.ToString());
        if (o.Prompts < 1) throw new BadInputException("must be at least 1", "prompts", value: o.Prompts.ToString());
        var toy = new ToyOptions(o.Seed);
        var tokenizer = new ByteTokenizer();
        var models = FitSettings(o, toy, tokenizer);
        var prompts = ToyWorld.JbPrompts(o.Prompts, o.Seed)
            .Select((jb, i) => new AttackPrompt($"toy-jb-{i:D3}", jb.CompletionBehavior, jb.OriginalBehavior, jb.SourceDataset)).ToList();
        var attacks = AttackSettings(models, prompts, tokenizer, o);
        AsrOutcome[] Outcomes(string setting) => attacks.First(a => a.Setting == setting && a.Judge == ToyJudgeName).Judged
            .Select(j => new AsrOutcome(j.Id, j.Source, j.Judgement.Harmful)).ToArray();
        var comparison = PairedComparison.Compare(RawSetting, Outcomes(RawSetting), SafetyDataSetting, Outcomes(SafetyDataSetting), o.Seed, o.Resamples);
        var benchmarks = Benchmarks(models, toy, tokenizer, o);
        var chart = AsrChart.Bars(attacks.Select(a => new AsrBar(a.Judge, a.Setting, a.Report.Pooled.Asr)).ToList(),
            "Toy world: ASR of base models by pretraining data (95% bootstrap CI)");
        return new EvaluationResult(models.Select(m => m.Setting).ToList(), attacks, comparison, benchmarks, chart, AsrFrame(attacks),
            BenchmarkTable.Frame(benchmarks), BenchmarkTable.Html(benchmarks), Examples(models, prompts, attacks));
    }

    const string ToyJudgeName = "toy judge";

    // one byte-level n-gram model (standing in for pretraining) per data setting: raw, score 0 only, safety data
    static List<(string Setting, NGramLanguageModel Model)> FitSettings(EvaluationOptions o, ToyOptions toy, ByteTokenizer tokenizer)
    {
        var facts = Enumerable.Range(0, o.Documents).Select(i => ToyWorld.Facts(i, toy)).ToList();
        var corpora = new (string Setting, IReadOnlyList<string> Texts)[]
        {
            (RawSetting, facts.Select(ToyWorld.Render).ToList()),
            (ScoreZeroSetting, facts.Where(f => f.Score == 0).Select(ToyWorld.Render).ToList()),
            (SafetyDataSetting, facts.SelectMany(SafetyData).ToList()),
        };
        return corpora.Select(c => (c.Setting, Model: NGramLanguageModel.Fit(c.Texts, tokenizer, o.Order, ByteTokenizer.BoundaryId))).ToList();
    }

    // Safety: the base-model protocol on toy jb-completions, every setting under every judge
    static List<AttackSetting> AttackSettings(List<(string Setting, NGramLanguageModel Model)> models, List<AttackPrompt> prompts, ByteTokenizer tokenizer, EvaluationOptions o)
    {
        IHarmJudge[] judges = [new PredicateJudge(ToyJudgeName, i => ToyJudge.IsHarmful(i.Generation)), new RefusalPhraseJudge()];
        var attacks = new List<AttackSetting>();
        foreach (var (setting, model) in models)
        {
            var generations = prompts.Select(p => model.Complete(tokenizer, p.Prompt, o.MaxNewTokens, ByteTokenizer.BoundaryId, ByteTokenizer.BoundaryId)).ToList();
            foreach (var judge in judges)
            {
                var judged = Attack.JudgeAsync(prompts, generations, judge).GetAwaiter().GetResult();
                attacks.Add(new AttackSetting(setting, judge.Name, Asr.Compute(judged, SeededRandom.Derive(o.Seed, setting + judge.Name), o.Resamples), judged));
            }
        }
        return attacks;
    }

    // General ability: toy cloze tasks from held-out documents
    static List<BenchmarkRow> Benchmarks(List<(string Setting, NGramLanguageModel Model)> models, ToyOptions toy, ByteTokenizer tokenizer, EvaluationOptions o)
    {
        var heldOut = Enumerable.Range(0, Math.Max(60, o.Documents / 2)).Select(i => ToyWorld.Facts(ToyWorld.HeldOutOffset + i, toy)).ToList();
        var tasks = new[]
        {
            ToyWorldTasks.Cloze("toy-everyday", heldOut.Where(f => f.Score == 0).Select(ToyWorld.ToDocument), o.TaskItems, o.Seed),
            ToyWorldTasks.Cloze("toy-stories", heldOut.Where(f => f.Score is >= 1 and <= 3).Select(ToyWorld.ToDocument), o.TaskItems, o.Seed),
        };
        return models.Select(m => new BenchmarkRow(m.Setting,
            tasks.Select(t => MultipleChoice.Evaluate(t, new CausalLmScorer(m.Model, tokenizer, new CausalLmScorer.Options(BatchSize: 16)), o.Shots, o.Seed, o.Resamples)).ToList())).ToList();
    }

    static DataFrame AsrFrame(List<AttackSetting> attacks) => new(
        new StringDataFrameColumn("setting", attacks.Select(a => a.Setting)),
        new StringDataFrameColumn("judge", attacks.Select(a => a.Judge)),
        new StringDataFrameColumn("ASR [95% CI]", attacks.Select(a => a.Report.Pooled.Asr.ToString())),
        new PrimitiveDataFrameColumn<int>("n", attacks.Select(a => a.Report.Pooled.N)),
        new PrimitiveDataFrameColumn<int>("unparseable", attacks.Select(a => a.Report.Pooled.Unparseable)));

    // the first three prompts' continuations under every setting, with the toy judge's verdict
    static DataFrame Examples(List<(string Setting, NGramLanguageModel Model)> models, List<AttackPrompt> prompts, List<AttackSetting> attacks)
    {
        var shown = Math.Min(3, prompts.Count);
        return new DataFrame(
            new StringDataFrameColumn("prompt", Enumerable.Range(0, shown).SelectMany(i => models.Select(_ => prompts[i].Prompt))),
            new StringDataFrameColumn("setting", Enumerable.Range(0, shown).SelectMany(_ => models.Select(m => m.Setting))),
            new StringDataFrameColumn("continuation", Enumerable.Range(0, shown).SelectMany(i => models.Select(m => Clip(attacks.First(a => a.Setting == m.Setting).Judged[i].Generation, 140)))),
            new StringDataFrameColumn("toy judge", Enumerable.Range(0, shown).SelectMany(i => models.Select(m => attacks.First(a => a.Setting == m.Setting).Judged[i].Judgement.Verdict.ToString()))));
    }

    // The safety-data corpus of one document: score 0 as is, 1–3 rephrased, 4–5 as a refusal and a moral lesson.
    static IEnumerable<string> SafetyData(ToyFacts f) => f.Score switch
    {
        0 => [ToyWorld.Render(f)],
        <= 3 => [ToyCounterparts.Rephrase(f, Enum.GetValues<RephraseStyle>()[(int)(f.Index % Enum.GetValues<RephraseStyle>().Length)])],
        _ => [ToyCounterparts.Refusal(f), ToyCounterparts.MoralLesson(f)],
    };

    static string Clip(string s, int max) => s.Length <= max ? s : s[..max] + "…";
}
