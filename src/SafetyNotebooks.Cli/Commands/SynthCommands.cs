using System.CommandLine;
using Microsoft.Extensions.AI;
using SafetyNotebooks.Synthesis;

namespace SafetyNotebooks.Cli.Commands;

/// <summary><c>safetynb synth rephrase|refuse|moral</c>: the paper's synthetic corpora through any OpenAI-compatible endpoint.</summary>
public static class SynthCommands
{
    public static Command Build()
    {
        var command = new Command("synth", "Generate SafeWeb rephrasings, RefuseWeb dialogues and Moral Education articles with an LLM");
        command.Subcommands.Add(Task(SynthesisTask.Rephrase, "rephrase", "Rewrite score 1–3 texts in a seeded style per document (SafeWeb)"));
        command.Subcommands.Add(Task(SynthesisTask.Refuse, "refuse", "Turn score 4–5 texts into refusal dialogues (RefuseWeb)"));
        command.Subcommands.Add(Task(SynthesisTask.Moral, "moral", "Turn refusal dialogues into moral-education articles"));
        return command;
    }

    static Command Task(SynthesisTask task, string name, string description)
    {
        var input = new Option<string[]>("--input") { Description = "Parquet file(s) or folder(s), searched recursively (id, text, metadata; safety_score or a score_N_* config folder)", Required = true, AllowMultipleArgumentsPerToken = true };
        var output = new Option<string>("--output") { Description = "output folder (released layout; resumable)", Required = true };
        var endpoint = new Option<string>("--endpoint") { Description = "OpenAI-compatible base URL (e.g. http://127.0.0.1:8000/v1), or 'toy' for the offline toy-world client", Required = true };
        var model = new Option<string>("--model") { Description = "model name sent to the endpoint", Required = true };
        var concurrency = new Option<int>("--concurrency") { Description = "requests in flight", DefaultValueFactory = _ => 4 };
        var seed = new Option<long>("--seed") { Description = "seed of the per-document style draw", DefaultValueFactory = _ => 0 };
        var timeout = new Option<double>("--timeout") { Description = "seconds per request", DefaultValueFactory = _ => 120 };
        var retries = new Option<int>("--attempts") { Description = "attempts per document before it is left for a rerun", DefaultValueFactory = _ => 4 }.Within(1, 100);
        var temperature = new Option<float>("--temperature") { Description = "sampling temperature sent to the endpoint", DefaultValueFactory = _ => 0.7f }.Within(0f, 2f);
        var maxTokens = new Option<int>("--max-tokens") { Description = "most tokens per answer", DefaultValueFactory = _ => 1024 }.Within(1, 1 << 20);
        var keyEnv = new Option<string>("--api-key-env") { Description = "environment variable holding the API key (never printed)", DefaultValueFactory = _ => "OPENAI_API_KEY" };
        var limit = new Option<int?>("--limit") { Description = "only the first N eligible documents of each unit of work (file or row-group range)" }.AtLeast(0);
        var stage = StageOptions.Create();
        var command = stage.AddTo(new Command(name, description) { input, output, endpoint, model, concurrency, seed, timeout, retries, temperature, maxTokens, keyEnv, limit, Cli.JsonOption });
        command.SetHandler(async (parse, stdout, ct) =>
        {
            var json = parse.GetValue(Cli.JsonOption);
            var n = parse.GetValue(concurrency);
            if (n is < 1 or > 256) throw new BadInputException("must be between 1 and 256", "--concurrency", value: n.ToString());
            if (parse.GetValue(timeout) <= 0) throw new BadInputException("must be positive", "--timeout", value: parse.GetValue(timeout).ToString());
            var outDir = OutputGuard.Folder(parse.GetValue(output)!, parse.GetValue(input)!);
            var url = parse.GetValue(endpoint)!;
            var modelName = parse.GetValue(model)!;
            var key = url == "toy" ? null : Environment.GetEnvironmentVariable(parse.GetValue(keyEnv)!);
            Func<IReadOnlyList<Data.Document>, IChatClient> clientFor = docs => url == "toy" ? new ToyWorldChatClient(docs) : ChatEndpoints.OpenAiCompatible(url, modelName, key);
            SynthesisJob JobFor(string workDir) => new(task, modelName, workDir, n, parse.GetValue(seed),
                new GenerationSettings(parse.GetValue(temperature), parse.GetValue(maxTokens)),
                new RetryPolicy(parse.GetValue(retries), Timeout: TimeSpan.FromSeconds(parse.GetValue(timeout))));
            var result = await Progress.RunAsync($"{name}", json, parse.InvocationConfiguration.Error,
                p => SynthesisShards.RunAsync(parse.GetValue(input)!, outDir, task, clientFor, JobFor, parse.GetValue(limit),
                    parse.GetValue(stage.ShardIndex), parse.GetValue(stage.NumShards), parse.GetValue(stage.RowGroupsPerUnit), p, ct));
            if (json)
                Cli.WriteJson(stdout, new
                {
                    units = result.Units, skipped = result.Skipped, documents = result.Documents, accepted = result.Accepted, rejected = result.Rejected, failed = result.Failed,
                    resumed = result.Resumed, requests = result.Requests, cache_hits = result.CacheHits, outputs = result.Outputs, reject_reasons = result.RejectReasons,
                });
            else
            {
                stdout.WriteLine($"{result.Units} unit(s), {result.Skipped} already done; {result.Documents} documents: {result.Accepted} accepted, {result.Rejected} rejected, {result.Failed} failed; " +
                                 $"{result.Resumed} resumed from the journal, {result.Requests} requests, {result.CacheHits} cache hits");
                foreach (var path in result.Outputs) stdout.WriteLine($"  {path}");
                foreach (var f in result.Failures.Take(5)) stdout.WriteLine($"  failed {f.Id}: {f.Error}");
            }
            return result.Failed == 0 ? ExitCodes.Ok : ExitCodes.Failure;
        });
        return command;
    }

    /// <summary><c>safetynb experiment synthetic-data</c> (notebook 03).</summary>
    public static Command Experiment()
    {
        var docs = new Option<int>("--docs") { Description = "toy documents", DefaultValueFactory = _ => 120 };
        var seed = new Option<long>("--seed") { Description = "seed of the toy corpus and the style draw", DefaultValueFactory = _ => 0 };
        var output = new Option<string?>("--output") { Description = "output folder [default: a fresh temporary folder]" };
        var concurrency = new Option<int>("--concurrency") { Description = "requests in flight", DefaultValueFactory = _ => 4 };
        var faults = new Option<bool>("--faults") { Description = "let the toy client misbehave (empty, declined, echoed and flaky answers) to show the checks and retries" };
        var command = new Command("synthetic-data", "SafeWeb, RefuseWeb and Moral Education on the toy world through the scripted toy client (notebook 03)")
        {
            docs, seed, output, concurrency, faults, Cli.JsonOption,
        };
        command.SetHandler(async (parse, stdout, ct) =>
        {
            var misbehaviour = parse.GetValue(faults) ? new ToyMisbehaviour(parse.GetValue(seed), 0.05, 0.05, 0.05, 0.2) : null;
            var r = await SafetyNotebooks.Experiments.SyntheticDataAsync(new SafetyNotebooks.Experiments.SyntheticDataOptions(
                parse.GetValue(docs), parse.GetValue(seed), parse.GetValue(output), parse.GetValue(concurrency), misbehaviour), ct: ct);
            var all = r.Rephrased.Outcomes.Concat(r.Refusals.Outcomes).Concat(r.Morals.Outcomes).ToList();
            var configs = all.GroupBy(o => o.Config).OrderBy(g => g.Key, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => new { accepted = g.Count(o => o.Accepted), rejected = g.Count(o => !o.Accepted) });
            var reasons = r.Rejects.GroupBy(x => x.RejectReason!.Split(" (")[0]).ToDictionary(g => g.Key, g => g.Count());
            if (parse.GetValue(Cli.JsonOption))
                Cli.WriteJson(stdout, new { output = r.OutputDir, configs, styles = r.StyleCounts, reject_reasons = reasons, shards = r.Shards });
            else
            {
                foreach (var (c, n) in configs) stdout.WriteLine($"{c}: {n.accepted} accepted, {n.rejected} rejected");
                stdout.WriteLine("styles: " + string.Join(", ", r.StyleCounts.Select(kv => $"{kv.Key} {kv.Value}")));
                if (reasons.Count > 0) stdout.WriteLine("rejects: " + string.Join(", ", reasons.Select(kv => $"{kv.Key} {kv.Value}")));
                stdout.WriteLine($"written under {r.OutputDir}");
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
