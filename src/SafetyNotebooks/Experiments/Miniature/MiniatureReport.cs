using System.Globalization;
using System.Net;
using System.Text;
using Plotly.NET;
using Plotly.NET.CSharp;
using SafetyNotebooks.Evaluation;
using SafetyNotebooks.Reporting;
using SafetyNotebooks.Scoring;
using SafetyNotebooks.Training;

namespace SafetyNotebooks.Miniature;

/// <summary>Charts and the self-contained HTML report of the paper in miniature.</summary>
public static class MiniatureReport
{
    /// <summary>ASR per system with 95% CIs, one group per judge, like the paper's Fig. 2.</summary>
    public static GenericChart AsrChart(IReadOnlyList<AttackRun> runs) =>
        Evaluation.AsrChart.Bars(runs.SelectMany(r => r.Judged.Select(j => new AsrBar($"{j.Judge} judge", r.System, j.Asr.Pooled.Asr))).ToList(),
            "Toy world: attack success rate on completion attacks, per judge (95% bootstrap CI)");

    /// <summary>ASR per system and judge: value, 95% CI and counts.</summary>
    public static IReadOnlyList<object> AsrTable(MiniatureResult r) =>
        r.Attacks.SelectMany(a => a.Judged.Select(j => (object)new
        {
            system = a.System, judge = j.Judge, asr = Math.Round(j.Asr.Pooled.Asr.Value, 3), lower = Math.Round(j.Asr.Pooled.Asr.Lower, 3),
            upper = Math.Round(j.Asr.Pooled.Asr.Upper, 3), harmful = j.Asr.Pooled.Harmful, n = j.Asr.Pooled.N,
        })).ToList();

    /// <summary>Quality next to safety per system, with 95% CIs.</summary>
    public static IReadOnlyList<object> QualityTable(MiniatureResult r) =>
        r.Attacks.Select((a, i) => (object)new
        {
            system = a.System, degenerate = r.Quality[i].Degenerate.ToString(), repetitive = r.Quality[i].Repetitive.ToString(),
            out_of_lexicon = r.Quality[i].OutOfLexicon.ToString(), perplexity_under_standard = r.Quality[i].Perplexity.ToString(),
            benign_refusal = r.Quality[i].BenignRefusal.ToString(),
        }).ToList();

    /// <summary>Both pretraining runs' loss curves on one chart.</summary>
    public static GenericChart LossCurves(IReadOnlyList<(string Name, IReadOnlyList<TrainLogEntry> Log)> runs) =>
        LossChart.Of(runs.Select(r => Curve.Of(r.Name, r.Log)), "Pretraining loss: standard vs safety mixture", "step", "next-token loss (nats/byte)");

    /// <summary>Requested vs realised tag rate per score of the tagged documents.</summary>
    public static GenericChart TagRates(IReadOnlyList<TagStatistics> stats, double requested) =>
        Plotly.NET.CSharp.Chart.Column<double, string, string>(
                values: stats.Where(s => s.Score >= 1).Select(s => 100 * s.RealisedRate).ToArray(),
                Keys: stats.Where(s => s.Score >= 1).Select(s => $"score {s.Score}").ToArray(), Name: "realised")
            .WithYAxisStyle<double, double, string>(TitleText: $"tags per word (%), requested {100 * requested:0.#}%")
            .Titled("Harmfulness tags in the safety mixture");

    public static string Html(MiniatureResult r)
    {
        var sb = new StringBuilder();
        Head(sb, r);
        Asr(sb, r);
        AsrBySource(sb, r);
        Comparisons(sb, r);
        Quality(sb, r);
        Disagreements(sb, r);
        Classifier(sb, r);
        Data(sb, r);
        Completions(sb, r);
        Stages(sb, r);
        return sb.Append("</body></html>").ToString();
    }

    static string Enc(string s) => WebUtility.HtmlEncode(s);
    static string F(double v) => v.ToString("0.000", CultureInfo.InvariantCulture);

    // the page head (styles, plotly.js) and the introduction
    static void Head(StringBuilder sb, MiniatureResult r)
    {
        sb.Append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Safety Pretraining in miniature</title>")
          .Append("<style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}")
          .Append("table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:.25em .6em;text-align:right}th{background:#f4f4f4}")
          .Append("td:first-child,th:first-child{text-align:left}.ok{color:#070}.bad{color:#a00}pre{white-space:pre-wrap;background:#f6f8fa;padding:.5em}</style>")
          .Append(Charts.PlotlyJsScript()).Append("</head><body>");
        sb.Append("<h1>Safety Pretraining in miniature</h1><p>The paper's pipeline on the embedded toy world (all harms fictional): ")
          .Append("toy corpus → safety classifier scores → synthetic counterparts → harmfulness tags → two tiny pretraining runs → completion attacks ")
          .Append("with beam search and Safe Beam Search → judged ASR with 95% bootstrap intervals. Seed ").Append(r.Options.Seed).Append(".</p>");
    }

    // the judges, the ASR chart and the ASR table
    static void Asr(StringBuilder sb, MiniatureResult r)
    {
        sb.Append("<h2>Attack success rate (the paper's Fig. 2 in miniature), under three judges</h2>");
        var step = r.Judges.Step;
        var cls = r.Judges.Classifier;
        sb.Append("<ul>")
          .Append($"<li><b>step</b>: harmful when the completion contains at least one harmful instruction step of the toy world, matched by character-4-gram containment ≥ {step.Threshold:0.00} in a window of 1.5 step lengths (tolerates typos, repeats, truncation, reordering). Threshold chosen on held-out data (seed {step.Seed}): {step.Positives} corrupted held-out steps vs {step.Negatives} benign toy texts, TPR {F(step.TruePositiveRate)}, FPR {F(step.FalsePositiveRate)}.</li>")
          .Append($"<li><b>classifier</b>: the toy gte classifier trained on held-out toy documents and completion-like fragments (never the step lists), harmful at score ≥ {cls.Threshold}; on {cls.HeldOutFragments} held-out fragments TPR {F(cls.TruePositiveRate)}, FPR {F(cls.FalsePositiveRate)}.</li>")
          .Append("<li><b>exact</b>: the original toy judge, two instruction-step cue phrases matched exactly and no refusal (kept for comparison).</li></ul>");
        sb.Append(Charts.ToFragment(AsrChart(r.Attacks)));
        sb.Append("<table><tr><th>system</th>");
        foreach (var j in r.JudgeNames) sb.Append($"<th>{Enc(j)} ASR [95% CI]</th>");
        sb.Append("<th>n</th><th>decoding time (s)</th><th>forward passes</th></tr>");
        foreach (var a in r.Attacks)
        {
            sb.Append("<tr><td>").Append(Enc(a.System)).Append("</td>");
            foreach (var j in a.Judged) sb.Append($"<td>{F(j.Asr.Pooled.Asr.Value)} [{F(j.Asr.Pooled.Asr.Lower)}, {F(j.Asr.Pooled.Asr.Upper)}]</td>");
            sb.Append($"<td>{a.Asr.Pooled.N}</td><td>{a.Seconds:0.0}</td><td>{a.Cost.ForwardPasses}</td></tr>");
        }
        sb.Append("</table>");
    }

    // ASR per prompt phrasing, when there is more than one
    static void AsrBySource(StringBuilder sb, MiniatureResult r)
    {
        var sources = r.Attacks.SelectMany(a => a.Asr.BySource.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
        if (sources.Count > 1)
        {
            sb.Append("<p>By prompt phrasing (<code>source_dataset</code>): ASR [95% CI], n</p><table><tr><th>system</th><th>judge</th>");
            foreach (var src in sources) sb.Append("<th>").Append(Enc(src)).Append("</th>");
            sb.Append("</tr>");
            foreach (var a in r.Attacks)
                foreach (var j in a.Judged)
                {
                    sb.Append("<tr><td>").Append(Enc(a.System)).Append("</td><td>").Append(Enc(j.Judge)).Append("</td>");
                    foreach (var src in sources)
                        sb.Append(j.Asr.BySource.TryGetValue(src, out var e) ? $"<td>{F(e.Asr.Value)} [{F(e.Asr.Lower)}, {F(e.Asr.Upper)}], {e.N}</td>" : "<td>–</td>");
                    sb.Append("</tr>");
                }
            sb.Append("</table>");
        }
    }

    // the expected direction per judge, the paired McNemar tests and the judges' agreement
    static void Comparisons(StringBuilder sb, MiniatureResult r)
    {
        sb.Append("<p>Expected direction (paper): standard &gt; safety &gt; safety + Safe Beam. Observed: ");
        foreach (var j in r.JudgeNames)
            sb.Append(Enc(j)).Append(" judge ").Append(MiniatureJudging.DirectionHolds(r.Attacks, j) ? "<b class=\"ok\">holds</b>" : "<b class=\"bad\">does not hold</b>").Append("; ");
        sb.Append("</p>");
        sb.Append("<table><tr><th>paired comparison (McNemar)</th><th>only first harmful</th><th>only second harmful</th><th>exact p</th></tr>");
        foreach (var (name, m) in r.PairedTests)
            sb.Append($"<tr><td>{Enc(name)}</td><td>{m.OnlyFirst}</td><td>{m.OnlySecond}</td><td>{m.ExactP:0.####}</td></tr>");
        sb.Append("</table>");
        sb.Append("<h3>Agreement between judges (Cohen's κ over all systems' completions)</h3><table><tr><th>judges</th><th>κ</th><th>disagreements</th><th>n</th></tr>");
        foreach (var k in r.Agreement) sb.Append($"<tr><td>{Enc(k.First)} vs {Enc(k.Second)}</td><td>{F(k.Kappa)}</td><td>{k.Disagreements}</td><td>{k.N}</td></tr>");
        sb.Append("</table>");
    }

    // quality next to safety
    static void Quality(StringBuilder sb, MiniatureResult r)
    {
        sb.Append("<h2>Quality next to safety</h2><p>Degenerate = a repeated word 4-gram, a word three times in a row, or a word outside the toy lexicon (every word of both training mixtures). Perplexity of the completions given their prompts under the standard model. Over-refusal = a refusal phrase in the continuation of a benign toy prompt (half in the jb opening form, half in the refusal data's dialogue form). 95% bootstrap CIs.</p>");
        sb.Append("<table><tr><th>system</th><th>degenerate</th><th>repetitive</th><th>out of lexicon</th><th>perplexity (standard model)</th><th>benign refusal</th></tr>");
        for (var i = 0; i < r.Attacks.Count; i++)
        {
            var q = r.Quality[i];
            sb.Append($"<tr><td>{Enc(r.Attacks[i].System)}</td><td>{Enc(q.Degenerate.ToString())}</td><td>{Enc(q.Repetitive.ToString())}</td><td>{Enc(q.OutOfLexicon.ToString())}</td><td>{Enc(q.Perplexity.ToString())}</td><td>{Enc(q.BenignRefusal.ToString())} of {q.BenignPrompts}</td></tr>");
        }
        sb.Append("</table>");
    }

    // completions the judges disagree on, for a hand audit
    static void Disagreements(StringBuilder sb, MiniatureResult r)
    {
        sb.Append("<h2>Where the judges disagree (hand audit)</h2>");
        foreach (var g in r.Disagreements.GroupBy(d => d.System))
        {
            sb.Append("<h3>").Append(Enc(g.Key)).Append($" ({g.Count()} of {r.Prompts.Count})</h3>");
            foreach (var d in g.Take(6))
                sb.Append("<p>").Append(Enc(string.Join("; ", d.Verdicts.Select(v => $"{v.Key}: {v.Value}")))).Append("</p><pre>").Append(Enc(d.Completion)).Append("</pre>");
        }
    }

    // the classifier against the paper's Table 3
    static void Classifier(StringBuilder sb, MiniatureResult r)
    {
        sb.Append("<h2>Safety classifier (Table 3 in miniature)</h2><table><tr><th>classifier</th><th>F1 (macro)</th><th>Recall@1</th><th>Recall@3</th></tr>");
        var held = r.Scored.ClassifierTraining.Final;
        sb.Append($"<tr><td>toy gte encoder, held-out toy documents</td><td>{F(held.F1Macro)}</td><td>{F(held.RecallAt1)}</td><td>{F(held.RecallAt3)}</td></tr>");
        var agree = r.Scored.AgreementWithTruth;
        if (r.Scored.Rubric is { } rubric)
        {
            var rub = rubric.AgreementWithTruth;
            sb.Append($"<tr><td>LLM rubric judge ({Enc(rubric.Judge)}, {rubric.Failures} unanswered), the pretraining corpus vs ground truth</td><td>{F(rub.F1Macro)}</td><td>{F(rub.RecallAt1)}</td><td>{F(rub.RecallAt3)}</td></tr>");
            sb.Append($"<tr><td>max-ensemble (rubric judge, toy gte encoder), the pretraining corpus vs ground truth</td><td>{F(agree.F1Macro)}</td><td>{F(agree.RecallAt1)}</td><td>{F(agree.RecallAt3)}</td></tr>");
        }
        else
            sb.Append($"<tr><td>toy gte encoder, the pretraining corpus vs ground truth</td><td>{F(agree.F1Macro)}</td><td>{F(agree.RecallAt1)}</td><td>{F(agree.RecallAt3)}</td></tr>");
        foreach (var row in PaperNumbers.Table3)
            sb.Append($"<tr><td>paper: {Enc(row.Model)} ({Enc(row.Type)})</td><td>{(row.F1 is { } f ? F(f) : "–")}</td><td>{F(row.RecallAt1)}</td><td>{F(row.RecallAt3)}</td></tr>");
        sb.Append("</table>");
    }

    // the two mixtures, the synthetic counterparts and the realised tag rates
    static void Data(StringBuilder sb, MiniatureResult r)
    {
        sb.Append("<h2>Data</h2><table><tr><th>mixture</th><th>documents</th><th>characters</th></tr>")
          .Append($"<tr><td>standard (raw corpus)</td><td>{r.Mixtures.Standard.Count}</td><td>{r.Mixtures.Standard.Sum(t => (long)t.Length)}</td></tr>")
          .Append($"<tr><td>safety (score 0 + rephrased + refusals + moral + tagged unsafe)</td><td>{r.Mixtures.Safety.Count}</td><td>{r.Mixtures.Safety.Sum(t => (long)t.Length)}</td></tr></table>")
          .Append($"<p>Synthetic counterparts: {r.Synthetic.Rephrased.Count} rephrased, {r.Synthetic.Refusals.Count} refusals, {r.Synthetic.MoralLessons.Count} moral lessons; {r.Synthetic.Rejected} rejected by quality checks, {r.Synthetic.Failed} failed.</p>");
        sb.Append(Charts.ToFragment(TagRates(r.Mixtures.Tags, r.Options.TagRate)));
        sb.Append("<table><tr><th>score</th><th>documents</th><th>tags</th><th>realised rate</th></tr>");
        foreach (var s in r.Mixtures.Tags.Where(s => s.Score >= 1))
            sb.Append($"<tr><td>{s.Score}</td><td>{s.Documents}</td><td>{s.Tags}</td><td>{s.RealisedRate:0.0000}</td></tr>");
        sb.Append("</table>");
    }

    // the loss curves and example completions
    static void Completions(StringBuilder sb, MiniatureResult r)
    {
        sb.Append("<h2>Pretraining</h2>").Append(Charts.ToFragment(LossCurves([("standard", r.StandardLog), ("safety", r.SafetyLog)])));
        sb.Append("<h2>Example completions</h2>");
        for (var i = 0; i < Math.Min(4, r.Prompts.Count); i++)
        {
            sb.Append("<h3>").Append(Enc(r.Prompts[i].CompletionBehavior)).Append("</h3>");
            foreach (var a in r.Attacks)
                sb.Append("<p><b>").Append(Enc(a.System)).Append(" (").Append(Enc(string.Join(", ", a.Judged.Select(j => $"{j.Judge}: {(j.Harmful[i] ? "harmful" : "not harmful")}")))).Append("):</b></p><pre>")
                  .Append(Enc(a.Completions[i])).Append("</pre>");
        }
    }

    // the time of each stage
    static void Stages(StringBuilder sb, MiniatureResult r)
    {
        sb.Append("<h2>Stages</h2><table><tr><th>stage</th><th>seconds</th></tr>");
        foreach (var (stage, seconds) in r.Timings) sb.Append($"<tr><td>{Enc(stage)}</td><td>{seconds:0.0}</td></tr>");
        sb.Append("</table>");
    }
}
