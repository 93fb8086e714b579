namespace SafetyNotebooks.Launch;

/// <summary>
/// The keys LitGPT 0.5.x accepts in a <c>litgpt pretrain</c> config (PRETRAINING.md §1.2–1.4, §1.6): the arguments of
/// <c>pretrain.setup()</c>, the fields of <c>TrainArgs</c>, <c>EvalArgs</c>, <c>LogArgs</c>, the <c>Config</c> fields a
/// Llama-style model uses, and the <c>LitData</c> data module's init args. jsonargparse rejects unknown keys, so the
/// generator is checked against these lists.
/// </summary>
public static class LitGptSchema
{
    public static IReadOnlySet<string> TopLevel { get; } = new HashSet<string>
    {
        "model_name", "model_config", "out_dir", "precision", "initial_checkpoint_dir", "resume", "data", "train", "eval",
        "log", "optimizer", "devices", "num_nodes", "tokenizer_dir", "logger_name", "seed",
    };

    public static IReadOnlySet<string> Train { get; } = new HashSet<string>
    {
        "save_interval", "log_interval", "global_batch_size", "micro_batch_size", "lr_warmup_steps", "lr_warmup_fraction",
        "epochs", "max_tokens", "max_steps", "max_time", "max_seq_length", "tie_embeddings", "max_norm", "min_lr",
    };

    public static IReadOnlySet<string> Eval { get; } = new HashSet<string>
    {
        "interval", "max_new_tokens", "max_iters", "initial_validation", "final_validation", "evaluate_example",
    };

    public static IReadOnlySet<string> ModelConfig { get; } = new HashSet<string>
    {
        "name", "hf_config", "block_size", "vocab_size", "padding_multiple", "padded_vocab_size", "n_layer", "n_head",
        "head_size", "n_embd", "rotary_percentage", "parallel_residual", "bias", "lm_head_bias", "n_query_groups",
        "shared_attention_norm", "norm_class_name", "norm_eps", "mlp_class_name", "gelu_approximate", "intermediate_size",
        "rope_condense_ratio", "rope_base", "n_expert", "n_expert_per_token",
    };

    public static IReadOnlySet<string> LitDataInitArgs { get; } = new HashSet<string> { "data_path", "split_names", "seed", "num_workers" };

    public static IReadOnlySet<string> AdamWInitArgs { get; } = new HashSet<string>
    {
        "lr", "betas", "eps", "weight_decay", "amsgrad", "maximize", "foreach", "capturable", "differentiable", "fused",
    };

    public static IReadOnlySet<string> Precision { get; } = new HashSet<string> { "bf16-true", "bf16-mixed", "32-true", "16-mixed", "16-true" };

    /// <summary>Keys of <paramref name="config"/> that LitGPT 0.5.x would reject, as dotted paths (empty when all are accepted).</summary>
    public static IReadOnlyList<string> UnknownKeys(Yaml.Map config)
    {
        var bad = new List<string>();
        void Check(Yaml.Map map, IReadOnlySet<string> allowed, string path)
        {
            foreach (var k in map.Keys) if (!allowed.Contains(k)) bad.Add(path + k);
        }
        Check(config, TopLevel, "");
        if (config.Keys.Contains("train") && config["train"] is Yaml.Map t) Check(t, Train, "train.");
        if (config.Keys.Contains("eval") && config["eval"] is Yaml.Map e) Check(e, Eval, "eval.");
        if (config.Keys.Contains("model_config") && config["model_config"] is Yaml.Map m) Check(m, ModelConfig, "model_config.");
        if (config.Keys.Contains("data") && config["data"] is Yaml.Map d && d.Keys.Contains("init_args") && d["init_args"] is Yaml.Map da)
            Check(da, LitDataInitArgs, "data.init_args.");
        if (config.Keys.Contains("optimizer") && config["optimizer"] is Yaml.Map o && o.Keys.Contains("init_args") && o["init_args"] is Yaml.Map oa)
            Check(oa, AdamWInitArgs, "optimizer.init_args.");
        return bad;
    }
}

/// <summary>Pure: the <c>pretrain.yaml</c> of a plan.</summary>
public static class LitGptConfig
{
    public static Yaml.Map Build(PretrainPlan plan)
    {
        var r = plan.Request;
        var s = plan.Shape;
        var v = plan.Vocabulary;
        var modelConfig = Yaml.Map.Of(
            ("name", v.Tag is null ? s.Name : $"{s.Name}-tagged"),
            ("hf_config", Yaml.Map.Of(("org", s.HfOrg), ("name", s.HfName))),
            ("block_size", r.SeqLength),
            ("vocab_size", v.VocabSize),
            ("padded_vocab_size", v.PaddedVocabSize),
            ("n_layer", s.Layers),
            ("n_head", s.Heads),
            ("n_embd", s.Embedding),
            ("n_query_groups", s.QueryGroups),
            ("rotary_percentage", 1.0),
            ("parallel_residual", false),
            ("bias", false),
            ("norm_class_name", "RMSNorm"),
            ("norm_eps", s.NormEps),
            ("mlp_class_name", "LLaMAMLP"),
            ("intermediate_size", s.Intermediate),
            ("rope_base", (long)s.RopeBase));
        var initArgs = new List<(string, object?)> { ("data_path", plan.Data.DataPath) };
        if (plan.Data.SplitNames is { } names) initArgs.Add(("split_names", names));
        initArgs.Add(("seed", r.Seed));
        initArgs.Add(("num_workers", r.DataWorkers));
        var map = Yaml.Map.Of(
            ("model_name", s.Name),
            ("model_config", modelConfig),
            ("out_dir", plan.CheckpointDir),
            ("precision", "bf16-mixed"),
            ("resume", "auto"),
            ("data", Yaml.Map.Of(("class_path", "litgpt.data.LitData"), ("init_args", Yaml.Map.Of(initArgs.ToArray())))),
            ("train", Yaml.Map.Of(
                ("save_interval", r.SaveInterval),
                ("log_interval", 1),
                ("global_batch_size", r.GlobalBatch),
                ("micro_batch_size", r.MicroBatch),
                ("lr_warmup_steps", r.WarmupSteps),
                ("max_tokens", (long)r.Tokens),
                ("max_seq_length", r.SeqLength),
                ("tie_embeddings", true),
                ("max_norm", r.MaxNorm),
                ("min_lr", r.MinLearningRate))),
            ("eval", Yaml.Map.Of(("interval", r.SaveInterval), ("max_iters", 100), ("initial_validation", false), ("final_validation", true))),
            ("optimizer", Yaml.Map.Of(
                ("class_path", "torch.optim.AdamW"),
                ("init_args", Yaml.Map.Of(("lr", r.LearningRate), ("weight_decay", r.WeightDecay), ("betas", new[] { r.Beta1, r.Beta2 }), ("eps", r.AdamEps))))),
            ("devices", r.GpusPerNode),
            ("num_nodes", r.Nodes),
            ("tokenizer_dir", Path.GetFullPath(r.TokenizerDir)),
            ("logger_name", r.Logger),
            ("seed", r.Seed));
        return r.InitialCheckpointDir is { } init ? ContinueFrom(map, init) : map;
    }

    // a later curriculum phase starts from the earlier phase's final weights; LitGPT refuses resume together with it
    static Yaml.Map ContinueFrom(Yaml.Map map, string init) => new(map.Entries.SelectMany(e => e.Key == "resume"
        ? new[] { new KeyValuePair<string, object?>("initial_checkpoint_dir", init), new KeyValuePair<string, object?>("resume", false) }
        : [e]).ToList());

    static readonly Dictionary<string, string> Comments = new()
    {
        ["model_config"] = "replaces the stock config entirely, so every field is given",
        ["model_config.block_size"] = "2k pretraining; also fixes LitGPT's FLOPs/MFU accounting",
        ["model_config.padded_vocab_size"] = "multiple of 128; padded rows are never targets",
        ["model_config.rope_base"] = "SmolLM2's 2k phase (the stock config has the context-extended value)",
        ["resume"] = "a requeued job continues from the newest out_dir/step-*",
        ["train.global_batch_size"] = "sequences, not tokens",
        ["train.lr_warmup_steps"] = "then cosine to min_lr: LitGPT has no WSD schedule",
        ["train.max_tokens"] = "LitGPT stops by token count only",
    };

    public static string ToYaml(PretrainPlan plan) =>
        $"# LitGPT {plan.Shape.Name} pretraining config written by safetynb {Toolkit.Version} (litgpt pretrain --config pretrain.yaml)\n" +
        Yaml.Write(Build(plan), Comments);
}
