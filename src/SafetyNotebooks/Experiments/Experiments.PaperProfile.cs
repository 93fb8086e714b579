using SafetyNotebooks.Data;
using SafetyNotebooks.Launch;

namespace SafetyNotebooks;

/// <summary>One released artifact and what the local Hugging Face cache holds of it.</summary>
public sealed record ArtifactStatus(string Name, string RepoId, string Kind, int FilesPresent, int FilesMissing, int FilesMismatched, string DownloadCommand)
{
    public bool Complete => FilesPresent > 0 && FilesMissing == 0 && FilesMismatched == 0;
}

/// <summary>What the <c>paper</c> profile found and wrote.</summary>
public sealed record PaperProfileResult(IReadOnlyList<ArtifactStatus> Artifacts, string PlanDirectory, IReadOnlyList<string> PlanFiles, IReadOnlyList<string> NextSteps);

public static partial class Experiments
{
    /// <summary>
    /// The <c>paper</c> profile: checks every released dataset and model of the paper (data-manifests/) in the local
    /// Hugging Face cache (HF_HOME / HF_HUB_CACHE; checksums verified), writes the LitGPT launch plan of the real
    /// pretraining run (SmolLM2-1.7B, 600B tokens, 4 nodes × 8 H100, harmfulness tag) and lists, for each experiment,
    /// either the command that runs it on the cached artifacts or exactly what to download first.
    /// </summary>
    public static PaperProfileResult PaperProfile(string outputDir, HfCache? cache = null)
    {
        var hf = cache ?? HfCache.FromEnvironment();
        var artifacts = Manifests.All.Select(m =>
        {
            var files = HubClient.Verify(m, hf);
            return new ArtifactStatus(m.Name, m.RepoId, m.Kind, files.Count(f => f.Status == "ok"), files.Count(f => f.Status == "missing"),
                files.Count(f => f.Status == "mismatch"), HubClient.CliCommand(m, null));
        }).ToList();

        // The plan is for the cluster: the tokenized corpus is exported there (safetynb export litdata), so it is described, not inspected.
        var planDir = Path.Combine(outputDir, "paper", "launch-plan");
        var dataRoot = "/cluster/data/safety-pretraining-litdata";
        var request = new PretrainRequest("SmolLM2-1.7B", Nodes: 4, GpusPerNode: 8, Tokens: 600e9, DataDir: dataRoot,
            TokenizerDir: "/cluster/models/SmolLM2-1.7B", OutDir: planDir, Tag: "<potentially_unsafe_content>", Gpu: "h100", Mfu: 0.4);
        var vocabulary = TokenizerVocabulary.ForSize(49152, request.Tag); // SmolLM2's tokenizer; the tag becomes id 49152
        var data = LitDataFolder.Planned(dataRoot, (long)request.Tokens);
        var plan = PretrainPlanner.Plan(request, vocabulary, data);
        var written = Launch.PlanFiles.Write(plan);

        bool Has(string name) => artifacts.FirstOrDefault(a => a.Name == name)?.Complete == true;
        string Need(params string[] names) =>
            string.Join("; ", names.Select(n => artifacts.First(a => a.Name == n)).Where(a => !a.Complete).Select(a => a.DownloadCommand));
        var steps = new List<string>
        {
            Has("safelm-1.7b") && Has("jb-completions") && Has("safety-classifier-gte-large")
                ? "Safe Beam vs beam on SafeLM-1.7B (Fig. 2/3): safetynb eval attack --model <SafeLM snapshot> --prompts <jb-completions parquet> --strategy safe-beam --judge classifier --classifier <classifier snapshot> --output artifacts/paper/attack"
                : "Safe Beam vs beam on SafeLM-1.7B needs: " + Need("safelm-1.7b", "jb-completions", "safety-classifier-gte-large"),
            Has("safety-classifier-gte-large") && Has("safety_data_annotated")
                ? "Classifier metrics (Table 3): safetynb score --input <safety_data_annotated parquet> --output artifacts/paper/scored --classifier <classifier snapshot>"
                : "Classifier metrics on annotated data (Table 3) need: " + Need("safety-classifier-gte-large", "safety_data_annotated") +
                  " — the paper's own Table 3 rows are reproduced offline from its confusion matrices by notebook 02.",
            $"Pretraining (Table 1, Fig. 2 ablations) needs a cluster: the LitGPT plan is in {planDir} (submit with: safetynb launch submit --plan {planDir}).",
        };
        return new PaperProfileResult(artifacts, planDir, written, steps);
    }
}
