using System.Text.Json;
using System.Text.RegularExpressions;
using SafetyNotebooks.Launch;
using SafetyNotebooks.Tests.Foundation;
using YamlDotNet.RepresentationModel;

namespace SafetyNotebooks.Tests.Launch;

public class LaunchPlanTests
{
    static (string Root, PretrainPlan Plan) PaperPlan()
    {
        var root = TestDirs.Fresh();
        LaunchFixtures.Tokenizer(root);
        LaunchFixtures.Dataset(root);
        var plan = PretrainPlanner.Plan(new PretrainRequest("SmolLM2-1.7B", 4, 8, 600e9, Path.Combine(root, "data"),
            Path.Combine(root, "tokenizer"), Path.Combine(root, "plan"), Tag: "<potentially_unsafe_content>"));
        return (root, plan);
    }

    static string Normalize(string text, string root) => text.Replace(Path.GetFullPath(root), "<ROOT>").Replace($"safetynb {Toolkit.Version}", "safetynb <VERSION>");

    static string Golden(string name) => File.ReadAllText(Path.Combine(TestDirs.RepoRoot(), "tests", "SafetyNotebooks.Tests", "Launch", "golden", name));

    [Fact]
    public void Paper_setting_takes_six_to_seven_days_at_40_percent_mfu()
    {
        var (_, plan) = PaperPlan();
        Assert.InRange(plan.Compute.Days, 6.0, 7.0);
        Assert.Equal(0.4, plan.Compute.Mfu);
        Assert.Equal(49153, plan.Vocabulary.VocabSize);
        Assert.Equal(49280, plan.Vocabulary.PaddedVocabSize);
        Assert.InRange(plan.Compute.TokensPerSecondPerGpu, 34_000, 35_000);
        Assert.Equal(plan.Compute.Days * 24 * 32, plan.Compute.GpuHours, 6);
        Assert.Contains(plan.Notes, n => n.Contains("WSD") && n.Contains("cosine"));
    }

    [Fact]
    public void Pretrain_yaml_matches_the_golden_file()
    {
        var (root, plan) = PaperPlan();
        Assert.Equal(Golden("pretrain.yaml"), Normalize(LitGptConfig.ToYaml(plan), root));
    }

    [Fact]
    public void Sbatch_matches_the_golden_file()
    {
        var (root, plan) = PaperPlan();
        Assert.Equal(Golden("launch.sbatch"), Normalize(SlurmScript.Build(plan, Path.Combine(root, "plan")), root));
    }

    [Fact]
    public void Every_config_key_is_one_litgpt_accepts_and_the_yaml_reads_back_with_its_types()
    {
        var (_, plan) = PaperPlan();
        var map = LitGptConfig.Build(plan);
        Assert.Empty(LitGptSchema.UnknownKeys(map));
        var yaml = new YamlStream();
        yaml.Load(new StringReader(LitGptConfig.ToYaml(plan)));
        var top = (YamlMappingNode)yaml.Documents[0].RootNode;
        Assert.Equal(map.Keys, top.Children.Keys.Select(k => ((YamlScalarNode)k).Value!));
        var train = (YamlMappingNode)top["train"];
        Assert.Equal("600000000000", ((YamlScalarNode)train["max_tokens"]).Value);
        var init = (YamlMappingNode)((YamlMappingNode)top["optimizer"])["init_args"];
        // PyYAML (YAML 1.1) reads a float only with a decimal point and no unsigned exponent.
        var pyYamlFloat = new Regex(@"^[-+]?[0-9]*\.[0-9]+([eE][-+][0-9]+)?$");
        foreach (var key in new[] { "lr", "weight_decay", "eps" })
            Assert.Matches(pyYamlFloat, ((YamlScalarNode)init[key]).Value!);
        Assert.Equal("0.0005", ((YamlScalarNode)init["lr"]).Value);
        var model = (YamlMappingNode)top["model_config"];
        Assert.Equal("49153", ((YamlScalarNode)model["vocab_size"]).Value);
        Assert.Equal("49280", ((YamlScalarNode)model["padded_vocab_size"]).Value);
        Assert.Equal("auto", ((YamlScalarNode)top["resume"]).Value);
        Assert.Equal("bf16-mixed", ((YamlScalarNode)top["precision"]).Value);
    }

    [Fact]
    public void Unknown_keys_are_reported()
    {
        var bad = Yaml.Map.Of(("model_name", "x"), ("lr_schedule", "wsd"), ("train", Yaml.Map.Of(("max_tokens", 1L), ("decay_steps", 3))));
        Assert.Equal(["lr_schedule", "train.decay_steps"], LitGptSchema.UnknownKeys(bad));
    }

    [Fact]
    public void Yaml_strings_that_look_like_other_types_are_quoted()
    {
        Assert.Equal("\"true\"", Yaml.Value("true"));
        Assert.Equal("\"600e9\"", Yaml.Value("600e9"));
        Assert.Equal("\"a b: c\"", Yaml.Value("a b: c"));
        Assert.Equal("/plain/path-1.x", Yaml.Value("/plain/path-1.x"));
        Assert.Equal("0.00000001", Yaml.Float(1e-8));
        Assert.Equal("1.0", Yaml.Float(1));
    }

    [Fact]
    public void Tag_already_in_the_tokenizer_does_not_grow_the_vocabulary()
    {
        var root = TestDirs.Fresh();
        var tok = LaunchFixtures.Tokenizer(root, 49152, "<potentially_unsafe_content>");
        var v = TokenizerVocabulary.Read(tok, "<potentially_unsafe_content>");
        Assert.Equal((49153, 49152, false, 49280), (v.VocabSize, v.TagId!.Value, v.TagAppended, v.PaddedVocabSize));
    }

    [Fact]
    public async Task Cli_plan_writes_the_four_files_and_a_summary()
    {
        var root = TestDirs.Fresh();
        LaunchFixtures.Tokenizer(root);
        LaunchFixtures.Dataset(root);
        var r = await CliRunner.RunAsync(LaunchFixtures.PaperArgs(root));
        Assert.True(r.Code == 0, r.Err);
        foreach (var f in new[] { "pretrain.yaml", "launch.sbatch", "plan.json", "summary.md" })
            Assert.True(File.Exists(Path.Combine(root, "plan", f)), f);
        Assert.Contains("days", r.Out);
        Assert.Contains("GPU-hours", r.Out);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "plan", "plan.json")));
        Assert.Equal(286_102, json.RootElement.GetProperty("batch").GetProperty("optimizer_steps").GetInt64());
        var back = PlanFiles.Read(Path.Combine(root, "plan"));
        Assert.Equal(49280, back.Vocabulary.PaddedVocabSize);
    }

    public static TheoryData<string, string[], string> Refusals => new()
    {
        { "gpus", ["--gpus-per-node", "6"], "do not divide the global batch" },
        { "micro", ["--micro-batch", "3"], "not a multiple of the micro-batch" },
        { "tokens", ["--tokens", "12.5"], "whole number of tokens" },
        { "model", ["--model", "SmolLM2-7B"], "unknown model" },
        { "mfu", ["--mfu", "1.5"], "MFU" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task Cli_refuses_impossible_requests_with_exit_2_and_no_output(string _, string[] extra, string reason)
    {
        var root = TestDirs.Fresh();
        LaunchFixtures.Tokenizer(root);
        LaunchFixtures.Dataset(root);
        var r = await CliRunner.RunAsync(LaunchFixtures.PaperArgs(root, extra));
        Assert.Equal(2, r.Code);
        Assert.Contains(reason, r.Err);
        Assert.DoesNotContain("   at ", r.Err);
        Assert.False(File.Exists(Path.Combine(root, "plan", "pretrain.yaml")));
    }

    [Fact]
    public async Task Cli_refuses_data_that_is_missing_or_not_litdata()
    {
        var root = TestDirs.Fresh();
        LaunchFixtures.Tokenizer(root);
        var missing = await CliRunner.RunAsync(LaunchFixtures.PaperArgs(root));
        Assert.Equal(2, missing.Code);
        Assert.Contains("does not exist", missing.Err);

        Directory.CreateDirectory(Path.Combine(root, "data"));
        File.WriteAllText(Path.Combine(root, "data", "corpus.txt"), "raw text");
        var raw = await CliRunner.RunAsync(LaunchFixtures.PaperArgs(root));
        Assert.Equal(2, raw.Code);
        Assert.Contains("not a LitData", raw.Err);

        LaunchFixtures.Split(Path.Combine(root, "data", "train"), itemLoader: "PyTreeLoader");
        var loader = await CliRunner.RunAsync(LaunchFixtures.PaperArgs(root));
        Assert.Equal(2, loader.Code);
        Assert.Contains("TokensLoader", loader.Err);
    }

    [Fact]
    public void Truncated_chunks_are_refused()
    {
        var root = TestDirs.Fresh();
        var dir = Path.Combine(root, "d");
        LaunchFixtures.Split(dir);
        var chunk = Path.Combine(dir, "chunk-0-0.bin");
        File.WriteAllBytes(chunk, File.ReadAllBytes(chunk)[..20]);
        var e = Assert.Throws<BadInputException>(() => LitDataFolder.Inspect(dir));
        Assert.Contains("incomplete", e.Message);
    }

    [Fact]
    public void A_single_optimized_folder_is_used_without_split_names()
    {
        var root = TestDirs.Fresh();
        LaunchFixtures.Split(Path.Combine(root, "flat"));
        var folder = LitDataFolder.Inspect(Path.Combine(root, "flat"));
        Assert.Null(folder.SplitNames);
        Assert.Equal(30, folder.Train.Tokens);
    }
}
