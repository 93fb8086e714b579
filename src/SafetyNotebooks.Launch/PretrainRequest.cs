namespace SafetyNotebooks.Launch;

/// <summary>
/// What the user asks for with <c>safetynb launch plan</c>. Defaults are the paper's run (PAPER.md §1.8: the released
/// model cards' LitGPT config) and SmolLM2's optimiser settings where the cards are silent (PRETRAINING.md §2).
/// <paramref name="CpusPerTask"/> defaults to LitData's 8 loader workers + 4; <paramref name="RequeueMarginSeconds"/> is how
/// long before the time limit the job requeues itself.
/// <see cref="InitialCheckpointDir"/> starts from an earlier stage's weights (a curriculum phase, see <see cref="PhasedPlans"/>).
/// </summary>
public sealed record PretrainRequest(
    string Model,
    int Nodes,
    int GpusPerNode,
    double Tokens,
    string DataDir,
    string TokenizerDir,
    string OutDir,
    string? Tag = null,
    string Gpu = "h100",
    double Mfu = 0.4,
    string Engine = "litgpt",
    int GlobalBatch = 1024,
    int MicroBatch = 8,
    int SeqLength = 2048,
    int WarmupSteps = 2000,
    double LearningRate = 5e-4,
    double MinLearningRate = 0.0,
    double WeightDecay = 0.01,
    double Beta1 = 0.9,
    double Beta2 = 0.95,
    double AdamEps = 1e-8,
    double MaxNorm = 1.0,
    int SaveInterval = 1000,
    int DataWorkers = 8,
    string Logger = "csv",
    long Seed = 42,
    string JobName = "safelm",
    string TimeLimit = "2-00:00:00",
    string? Partition = null,
    string? Account = null,
    int CpusPerTask = 12,
    string Memory = "0",
    int RequeueMarginSeconds = 600,
    string? InitialCheckpointDir = null)
{
    /// <summary>The values of the batch script's header, checked by <see cref="SbatchValues.Check"/> before use.</summary>
    public SbatchResources Sbatch => new(JobName, TimeLimit, Partition, Account, CpusPerTask, Memory, RequeueMarginSeconds);
}
