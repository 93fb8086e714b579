using System.Text.Json;
using SafetyNotebooks.Data;
using SafetyNotebooks.Data.Toy;
using SafetyNotebooks.Scoring;
using SafetyNotebooks.Tests.Foundation;
using SafetyNotebooks.Tokenization;

namespace SafetyNotebooks.Tests.Miniature;

public class PaperProfileTests
{
    static readonly string Llama = Path.Combine(AppContext.BaseDirectory, "fixtures", "llama-a");

    /// <summary>
    /// A Hugging Face cache holding stand-ins of the three released artifacts the profile can run on: the fixture Llama
    /// (with the byte-level tokenizer, which has the tag) as SafeLM-1.7B, toy jb prompts as jb-completions, and a tiny
    /// toy classifier as the released gte classifier.
    /// </summary>
    static async Task<HfCache> FakeCacheAsync(string root, int prompts)
    {
        string Snapshot(string kind, string repo)
        {
            var folder = Path.Combine(root, $"{kind}s--{repo.Replace("/", "--")}");
            Directory.CreateDirectory(Path.Combine(folder, "refs"));
            File.WriteAllText(Path.Combine(folder, "refs", "main"), "c0ffee");
            return Directory.CreateDirectory(Path.Combine(folder, "snapshots", "c0ffee")).FullName;
        }
        var model = Snapshot("model", "locuslab/safelm-1.7b");
        foreach (var f in new[] { "config.json", "model.safetensors" }) File.Copy(Path.Combine(Llama, f), Path.Combine(model, f));
        ByteLevelTokenizer.Write(model);
        var data = Snapshot("dataset", "locuslab/jb-completions");
        await JbCompletions.WriteAsync(Path.Combine(data, "data", "train-00000-of-00001.parquet"), ToyWorld.JbPrompts(prompts, 3));
        var (classifier, _) = ToyClassifier.Train(new ToyClassifier.Options(TrainDocuments: 60, HeldOutDocuments: 20, Epochs: 1, Device: "cpu"));
        using (classifier) classifier.Save(Snapshot("model", "locuslab/safety-classifier_gte-large-en-v1.5"));
        var annotated = Snapshot("dataset", "locuslab/safety_data_annotated");
        await Documents.WriteAsync(Path.Combine(annotated, "data", "train-00000-of-00001.parquet"), ToyWorld.HeldOut(40, new ToyOptions(5)).ToList());
        return new HfCache(root);
    }

    static IReadOnlyList<Manifest> Released => [Manifests.Find("safelm-1.7b"), Manifests.Find("jb-completions"), Manifests.Find("safety-classifier-gte-large"), Manifests.Find("safety_data_annotated")];

    [Fact]
    public async Task Runs_beam_and_Safe_Beam_on_the_cached_model_with_the_cached_classifier_judge()
    {
        var dir = TestDirs.Fresh();
        var cache = await FakeCacheAsync(Path.Combine(dir, "hub"), prompts: 6);
        var options = new PaperProfileOptions(AttackPrompts: 4, MaxNewTokens: 6, Beams: 2, Candidates: 4, Device: "cpu", ScoredDocuments: 25);
        var r = await Experiments.PaperProfileAsync(Path.Combine(dir, "out"), options, cache, Released);

        Assert.All(r.Artifacts, a => Assert.True(a.Complete, a.Name));
        var attack = Assert.IsType<PaperAttack>(r.Attack);
        Assert.Null(attack.SafeBeamSkipped);
        Assert.Equal(["beam", "Safe Beam"], attack.Systems.Select(s => s.System));
        Assert.All(attack.Systems, s =>
        {
            Assert.Equal(4, s.Report.Pooled.N + s.Report.Pooled.Unparseable);
            Assert.Equal(4, File.ReadAllLines(Path.Combine(s.OutputDir, "judgements.jsonl")).Length);
        });
        Assert.NotNull(attack.Paired);
        Assert.Contains(r.NextSteps, s => s.StartsWith("Ran beam and Safe Beam on SafeLM-1.7B"));

        // Table 3 on the released annotations: a seeded sample of 25 of the 40 documents, labels from safety_score
        var metrics = Assert.IsType<PaperClassifierMetrics>(r.Classifier);
        Assert.Equal("safety_score", metrics.LabelColumn);
        Assert.Equal(25, metrics.Documents);
        Assert.Equal(25, metrics.Confusion.Sum(row => row.Sum()));
        Assert.Equal(Independent.MacroF1(metrics.Confusion.Select(row => row.Select(v => (long)v))), metrics.Metrics.F1Macro, 12);
        Assert.True(File.Exists(metrics.OutputPath));

        // the same seed attacks the same prompt sample; a rerun resumes from the files and reports the same
        var again = await Experiments.PaperProfileAsync(Path.Combine(dir, "out"), options, cache, Released);
        Assert.Equal(attack.Systems.Select(s => s.Report.Pooled.Harmful), again.Attack!.Systems.Select(s => s.Report.Pooled.Harmful));
    }

    [Fact]
    public async Task Without_a_tag_in_the_tokenizer_Safe_Beam_is_skipped_with_the_reason_and_run_false_runs_nothing()
    {
        var dir = TestDirs.Fresh();
        var cache = await FakeCacheAsync(Path.Combine(dir, "hub"), prompts: 3);
        var snapshot = cache.Snapshot("locuslab/safelm-1.7b", "model", "main")!;
        var json = ByteLevelTokenizer.TokenizerJson();
        json["added_tokens"]!.AsArray().RemoveAt(1); // drop the tag
        File.WriteAllText(Path.Combine(snapshot, "tokenizer.json"), json.ToJsonString());

        var r = await Experiments.PaperProfileAsync(Path.Combine(dir, "out"), new PaperProfileOptions(AttackPrompts: 2, MaxNewTokens: 4, Beams: 2, Candidates: 4, Device: "cpu"), cache, Released);
        Assert.Equal(["beam"], r.Attack!.Systems.Select(s => s.System));
        Assert.Contains("<potentially_unsafe_content>", r.Attack.SafeBeamSkipped);
        Assert.Null(r.Attack.Paired);

        var inventoryOnly = await Experiments.PaperProfileAsync(Path.Combine(dir, "out2"), new PaperProfileOptions(Run: false), cache, Released);
        Assert.Null(inventoryOnly.Attack);
        Assert.False(Directory.Exists(Path.Combine(dir, "out2", "paper", "attack")));
        Assert.Contains(inventoryOnly.NextSteps, s => s.Contains("safetynb eval attack"));
    }

    [Fact]
    public async Task Annotations_without_a_label_column_give_the_reason_instead_of_metrics()
    {
        var dir = TestDirs.Fresh();
        var file = Path.Combine(dir, "a.parquet");
        await ParquetFiles.WriteAsync(file, new ParquetBatch([ParquetColumn.OfStrings("text", ["a", "b"]), ParquetColumn.OfStrings("note", ["x", "y"])], 2).Schema,
            AsAsync(new ParquetBatch([ParquetColumn.OfStrings("text", ["a", "b"]), ParquetColumn.OfStrings("note", ["x", "y"])], 2)));
        var (metrics, why) = await Experiments.ClassifierOnAnnotationsAsync([file], "unused", Path.Combine(dir, "m.json"), new PaperProfileOptions());
        Assert.Null(metrics);
        Assert.Contains("no label column", why);
        Assert.Contains("note", why);
    }

    static async IAsyncEnumerable<ParquetBatch> AsAsync(ParquetBatch b)
    {
        await Task.Yield();
        yield return b;
    }

    [Fact]
    public async Task Unknown_paper_setting_is_exit_2()
    {
        var r = await CliRunner.RunAsync("reproduce", "--profile", "paper", "--skip-notebooks", "--set", "attack_promptz=5", "--output", TestDirs.Fresh());
        Assert.Equal(2, r.Code);
        Assert.Contains("attack_promptz", r.Err + r.Out);
    }
}
