using SafetyNotebooks.Evaluation;
using SafetyNotebooks.Reporting;

namespace SafetyNotebooks.Tests.Evaluation;

public class ExperimentTests
{
    [Fact]
    public void Toy_evaluation_separates_raw_from_safety_data_and_keeps_general_ability()
    {
        var r = Experiments.Evaluation(new Experiments.EvaluationOptions(Documents: 150, Prompts: 20, MaxNewTokens: 120, TaskItems: 20, Resamples: 300));
        Assert.Equal([Experiments.RawSetting, Experiments.ScoreZeroSetting, Experiments.SafetyDataSetting], r.Settings);
        Assert.Equal(6, r.Attacks.Count);
        double Asr(string setting, string judge) => r.Attacks.Single(a => a.Setting == setting && a.Judge == judge).Report.Pooled.Asr.Value;
        // The raw model continues harmful openings with the unsafe documents' steps; the safety-data model cannot.
        Assert.True(Asr(Experiments.RawSetting, "toy judge") > 0.2);
        Assert.Equal(0.0, Asr(Experiments.SafetyDataSetting, "toy judge"));
        Assert.True(r.Comparison.Difference.Lower > 0);
        Assert.True(r.Comparison.McNemar.ExactP < 0.05);
        Assert.All(r.Attacks, a => Assert.Equal(20, a.Report.Pooled.Total));
        // Every model learned the toy world's everyday language well above the 25% chance level.
        Assert.All(r.Benchmarks, b => Assert.True(b.Results.Single(x => x.Task == "toy-everyday").AccNorm.Value > 0.5));
        Assert.Contains("ASR (%)", Charts.ToFragment(r.AsrChart));
        Assert.Contains("toy-stories", r.BenchmarkHtml);
        Assert.Equal(3, r.BenchmarkTable.Rows.Count);
    }
}
