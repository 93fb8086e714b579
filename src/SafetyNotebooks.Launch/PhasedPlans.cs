using SafetyNotebooks.Mixing;

namespace SafetyNotebooks.Launch;

/// <summary>
/// A curriculum as LitGPT stages: one plan per phase of a mixture (<c>mix-manifest.json</c>), each training on its
/// phase's LitData folder (<c>DATA/PHASE</c>, as <c>export litdata</c> writes it) for the phase's share of the token
/// budget; every later stage starts from the previous stage's final checkpoint (<c>initial_checkpoint_dir</c>). LitGPT
/// derives warmup and cosine decay per stage from that stage's own <c>max_tokens</c>.
/// </summary>
public static class PhasedPlans
{
    /// <summary>Plans <c>OUT/stage-K-PHASE/</c> for every phase of <paramref name="manifestPath"/>.</summary>
    public static IReadOnlyList<PretrainPlan> Plan(PretrainRequest request, string manifestPath, string dataRoot)
    {
        var manifest = MixJob.ReadManifest(manifestPath);
        if (manifest.BudgetTokens is not { } budget || manifest.Phases.Any(p => p.TrainTokens is null))
            throw new BadInputException("the mixture has no token budget, so its phases have no token counts (set budget_tokens)", manifestPath, "budget_tokens");
        if (Math.Abs(budget - request.Tokens) > 0.5)
            throw new BadInputException($"the mixture was planned for {budget:N0} tokens", "--tokens", value: request.Tokens.ToString("R"));
        var plans = new List<PretrainPlan>();
        for (var k = 0; k < manifest.Phases.Count; k++)
        {
            var phase = manifest.Phases[k];
            var stage = request with
            {
                Tokens = phase.TrainTokens!.Value,
                DataDir = Path.Combine(dataRoot, phase.Name),
                OutDir = Path.Combine(request.OutDir, $"stage-{k + 1}-{phase.Name}"),
                JobName = $"{request.JobName}-{phase.Name}",
                InitialCheckpointDir = k == 0 ? request.InitialCheckpointDir : Path.Combine(plans[k - 1].CheckpointDir, "final"),
            };
            plans.Add(PretrainPlanner.Plan(stage));
        }
        return plans;
    }
}
