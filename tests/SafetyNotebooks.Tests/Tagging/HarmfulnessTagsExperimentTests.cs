using System.Text.Json;
using SafetyNotebooks.Tests.Foundation;

namespace SafetyNotebooks.Tests.Tagging;

public class HarmfulnessTagsExperimentTests
{
    [Fact]
    public void Realised_rates_are_within_four_standard_errors_and_safe_documents_are_never_tagged()
    {
        var r = Experiments.HarmfulnessTags(new Experiments.HarmfulnessTagsOptions(Documents: 200));
        Assert.Equal([0.03, 0.05, 0.10], r.Rates.Select(x => x.Requested));
        Assert.All(r.Rates, x => Assert.InRange(x.Realised, x.Requested - 4 * x.StandardError, x.Requested + 4 * x.StandardError));
        Assert.True(r.Rates[0].Tags < r.Rates[1].Tags && r.Rates[1].Tags < r.Rates[2].Tags);
        var perScore = r.PerScore;
        Assert.Equal(0, perScore["tagged_documents"][0]);                 // score 0 row
        Assert.Equal(r.Documents, perScore["documents"].Cast<int>().Sum());
        Assert.True(r.Examples.Rows.Count > 0);
        Assert.All(r.Examples["tagged_text (around the first tag)"].Cast<string>(), t => Assert.Contains("<potentially_unsafe_content> ", t));
    }

    [Fact]
    public async Task Experiment_command_reports_the_three_rates_as_json()
    {
        var r = await CliRunner.RunAsync("experiment", "harmfulness-tags", "--docs", "200", "--json");
        Assert.Equal(0, r.Code);
        using var doc = JsonDocument.Parse(r.Out);
        var rates = doc.RootElement.GetProperty("rates").EnumerateArray().Select(e => e.GetProperty("requested").GetDouble()).ToArray();
        Assert.Equal([0.03, 0.05, 0.10], rates);
    }
}
