using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace SafetyNotebooks.Pipeline;

/// <summary>
/// One declared stage: the <c>safetynb</c> command it runs (<c>score</c>, <c>export litdata</c>), its arguments,
/// whether it takes <c>--shard-index/--num-shards</c>, the folders it must leave behind, and inline config files
/// (a mapping under <c>with:</c> is written as YAML and passed as a path).
/// </summary>
public sealed record PipelineStage(string Name, IReadOnlyList<string> Command, IReadOnlyList<string> Args, bool Shards,
    IReadOnlyList<string> Outputs, IReadOnlyDictionary<string, string> InlineFiles, string Key)
{
    /// <summary>The full command line for worker <paramref name="shardIndex"/> of <paramref name="numShards"/>.</summary>
    public IReadOnlyList<string> CommandLine(int shardIndex, int numShards) =>
        [.. Command, .. Args, .. Shards ? new[] { "--shard-index", shardIndex.ToString(), "--num-shards", numShards.ToString() } : []];
}

/// <summary>
/// A pipeline file (datatrove's shape: an ordered list of small steps with inputs, outputs and completion markers):
/// <c>name</c>, <c>workdir</c> (relative to the file), <c>vars</c>, and <c>stages</c>, each with <c>name</c>,
/// <c>run</c> (a safetynb command), <c>with</c> (its options: <c>key: value</c> → <c>--key value</c>, a list → several
/// values, a mapping → an inline YAML file), <c>shards</c> and <c>outputs</c>. Values may use <c>${workdir}</c>,
/// <c>${pipeline_dir}</c> and <c>${VAR}</c> for any of <c>vars</c>. Every error names its key.
/// </summary>
public sealed partial record PipelineSpec(string Name, string WorkDir, string File, IReadOnlyList<PipelineStage> Stages)
{
    /// <summary>Where the runner keeps completion markers and inline files.</summary>
    public string StateDir => Path.Combine(WorkDir, ".pipeline");

    /// <summary>Loads a pipeline file; <paramref name="workDirOverride"/> replaces its <c>workdir</c>.</summary>
    public static PipelineSpec Load(string path, string? workDirOverride = null, IReadOnlyDictionary<string, string>? varOverrides = null)
    {
        var y = YamlConfig.Load(path).Only("name", "workdir", "vars", "stages");
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var vars = new Dictionary<string, string>(StringComparer.Ordinal) { ["pipeline_dir"] = dir };
        if (y.Map("vars") is { } v)
            foreach (var k in v.Keys) // a var may use the vars above it
                vars[k] = Substitute(v.String(k) ?? throw new BadInputException("expected a single value", path, v.KeyPath(k)), vars, path, v.KeyPath(k));
        foreach (var (k, value) in varOverrides ?? new Dictionary<string, string>())
            vars[k] = vars.ContainsKey(k) ? value : throw new BadInputException($"not a var of this pipeline (vars: {string.Join(", ", vars.Keys.Where(x => x != "pipeline_dir"))})", "--var", value: k);
        var workDir = workDirOverride ?? Substitute(y.String("workdir") ?? "work", vars, path, "workdir");
        workDir = Path.GetFullPath(Path.IsPathRooted(workDir) ? workDir : Path.Combine(workDirOverride is null ? dir : Directory.GetCurrentDirectory(), workDir));
        vars["workdir"] = workDir;
        var stages = y.Maps("stages").Select(s => Stage(s, vars, workDir)).ToList();
        if (stages.Count == 0) throw new BadInputException("at least one stage", path, "stages");
        var dup = stages.GroupBy(s => s.Name).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new BadInputException("stage names must differ", path, dup.Skip(1).First().Key + ".name", dup.Key);
        return new PipelineSpec(y.String("name") ?? Path.GetFileNameWithoutExtension(path), workDir, Path.GetFullPath(path), stages);
    }

    static PipelineStage Stage(YamlConfig s, IReadOnlyDictionary<string, string> vars, string workDir)
    {
        s.Only("name", "run", "with", "shards", "outputs");
        var name = s.RequiredString("name");
        if (!StageName().IsMatch(name)) throw new BadInputException("a plain name (letters, digits, - and _)", s.File, s.KeyPath("name"), name);
        var command = s.RequiredString("run").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (command[0] is "pipeline" or "reproduce") throw new BadInputException("a stage cannot run another pipeline", s.File, s.KeyPath("run"), string.Join(' ', command));
        var args = new List<string>();
        var inline = new Dictionary<string, string>(StringComparer.Ordinal);
        if (s.Map("with") is { } with)
            foreach (var key in with.Keys)
            {
                var flag = "--" + key.Replace('_', '-');
                var keyPath = with.KeyPath(key);
                switch (with.Node(key))
                {
                    case YamlScalarNode v:
                        args.AddRange([flag, Substitute(v.Value ?? "", vars, s.File, keyPath)]);
                        break;
                    case YamlSequenceNode:
                        args.Add(flag);
                        args.AddRange(with.Strings(key).Select(x => Substitute(x, vars, s.File, keyPath)));
                        break;
                    case YamlMappingNode m:
                        var file = Path.Combine(workDir, ".pipeline", "inline", $"{name}.{key}.yaml");
                        inline[file] = Substitute(ToText(m), vars, s.File, keyPath);
                        args.AddRange([flag, file]);
                        break;
                }
            }
        var outputs = s.Strings("outputs").Select(o => Path.GetFullPath(Substitute(o, vars, s.File, s.KeyPath("outputs")))).ToList();
        return new PipelineStage(name, command, args, s.Bool("shards") ?? false, outputs, inline, s.Path);
    }

    static string ToText(YamlMappingNode node)
    {
        var w = new StringWriter();
        new YamlStream(new YamlDocument(node)).Save(w, assignAnchors: false);
        return w.ToString().Replace("...\n", "").Replace("...\r\n", "");
    }

    /// <summary>Replaces <c>${name}</c> by its value; an unknown name is bad input naming <paramref name="key"/>.</summary>
    public static string Substitute(string text, IReadOnlyDictionary<string, string> vars, string file, string key) =>
        Variable().Replace(text, m => vars.TryGetValue(m.Groups[1].Value, out var v) ? v
            : throw new BadInputException($"unknown variable ${{{m.Groups[1].Value}}} (known: {string.Join(", ", vars.Keys)})", file, key, text));

    [GeneratedRegex(@"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")]
    private static partial Regex Variable();

    [GeneratedRegex(@"^[A-Za-z0-9_-]+$")]
    private static partial Regex StageName();
}
