using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace SafetyNotebooks.Synthesis;

/// <summary>One source text to transform: its id, text and safety score (0–5).</summary>
public sealed record SynthesisItem(string Id, string Text, int Score);

/// <summary>Decoding settings sent with every request (part of the cache key).</summary>
public sealed record GenerationSettings(float? Temperature = 0.7f, int? MaxOutputTokens = 1024, long? Seed = null);

/// <summary>Timeouts and retries of each request: exponential backoff from <see cref="BaseDelay"/>, capped at <see cref="MaxDelay"/>.</summary>
public sealed record RetryPolicy(int MaxAttempts = 4, TimeSpan? BaseDelay = null, TimeSpan? MaxDelay = null, TimeSpan? Timeout = null)
{
    public TimeSpan Base => BaseDelay ?? TimeSpan.FromMilliseconds(500);
    public TimeSpan Cap => MaxDelay ?? TimeSpan.FromSeconds(20);
    public TimeSpan PerRequest => Timeout ?? TimeSpan.FromMinutes(2);

    /// <summary>The wait before attempt <paramref name="attempt"/> (1-based; no wait before the first).</summary>
    public TimeSpan DelayBefore(int attempt) => Backoff.Before(attempt);

    public Backoff Backoff => new(Base, Cap);
}

/// <summary>A synthesis run: which task, which model, how many requests at once, and where outputs and the cache live.</summary>
public sealed record SynthesisJob(
    SynthesisTask Task,
    string Model,
    string OutputDir,
    int Concurrency = 4,
    long Seed = 0,
    GenerationSettings? Settings = null,
    RetryPolicy? Retry = null,
    QualityOptions? Quality = null);

/// <summary>What became of one source: accepted text or a rejection reason (both kept), in the output config of its score.</summary>
public sealed record SynthesisOutcome(string Id, int Score, string Config, SafeWebStyle? Style, string Text, bool Accepted, string? RejectReason, int Attempts, bool FromCache);

/// <summary>A source whose requests all failed (timeouts, server errors); not journaled, so a rerun tries it again.</summary>
public sealed record SynthesisFailure(string Id, string Error, int Attempts);

public sealed record SynthesisResult(IReadOnlyList<SynthesisOutcome> Outcomes, IReadOnlyList<SynthesisFailure> Failures, int Resumed, int Requests, int CacheHits)
{
    public IEnumerable<SynthesisOutcome> Accepted => Outcomes.Where(o => o.Accepted);
    public IEnumerable<SynthesisOutcome> Rejected => Outcomes.Where(o => !o.Accepted);
}

/// <summary>
/// Runs a synthesis task over sources through any <see cref="IChatClient"/> (an OpenAI-compatible server such as vLLM,
/// the toolkit's own server, or the scripted toy-world client): bounded concurrency, a timeout and retries with backoff
/// per request, a response cache keyed by (prompt hash, model), quality checks, and a journal that makes the run
/// resumable — a source already in the journal is never sent again. Outcomes come back in input order whatever the
/// concurrency.
/// </summary>
public static class SynthesisPipeline
{
    public const string JournalFile = "journal.jsonl";
    public const string CacheFile = "cache.jsonl";

    static readonly JsonSerializerOptions JournalJson = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>The prompt for a source (the SafeWeb style is a seeded draw per document).</summary>
    public static SynthesisPrompt PromptFor(SynthesisTask task, SynthesisItem item, long seed) =>
        SynthesisPrompts.Build(task, item.Text, task == SynthesisTask.Rephrase ? SeededDraw.Style(seed, item.Id) : null);

    public static async Task<SynthesisResult> RunAsync(IChatClient client, SynthesisJob job, IEnumerable<SynthesisItem> items,
        IProgress<double>? progress = null, CancellationToken ct = default)
    {
        if (job.Concurrency < 1) throw new BadInputException("must be at least 1", "--concurrency", value: job.Concurrency.ToString());
        var sources = items.ToList();
        var (min, max) = SynthesisTasks.Scores(job.Task);
        foreach (var s in sources)
            if (s.Score < min || s.Score > max)
                throw new BadInputException($"{job.Task} takes score {min}–{max} texts", s.Id, "safety_score", s.Score.ToString());
        var duplicate = sources.GroupBy(s => s.Id).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new BadInputException("duplicate id in the input", duplicate.Key, "id");

        Directory.CreateDirectory(job.OutputDir);
        var journalPath = Path.Combine(job.OutputDir, JournalFile);
        var done = ReadJournal(journalPath);
        var resumed = sources.Count(s => done.ContainsKey(s.Id));
        using var cache = ResponseCache.Open(Path.Combine(job.OutputDir, CacheFile));
        using var journal = new StreamWriter(new FileStream(journalPath, FileMode.Append, FileAccess.Write, FileShare.Read), new UTF8Encoding(false));
        var gate = new SemaphoreSlim(1, 1);
        var outcomes = new ConcurrentDictionary<string, SynthesisOutcome>(done);
        var failures = new ConcurrentBag<SynthesisFailure>();
        int requests = 0, hits = 0, finished = resumed;
        var settings = job.Settings ?? new GenerationSettings();
        var retry = job.Retry ?? new RetryPolicy();

        var todo = sources.Where(s => !done.ContainsKey(s.Id));
        await Parallel.ForEachAsync(todo, new ParallelOptions { MaxDegreeOfParallelism = job.Concurrency, CancellationToken = ct }, async (item, token) =>
        {
            var prompt = PromptFor(job.Task, item, job.Seed);
            var key = CacheKey.For(prompt, job.Model, settings);
            string? text = null;
            var attempts = 0;
            var fromCache = cache.TryGet(key, out var cached);
            if (fromCache) { text = cached; Interlocked.Increment(ref hits); }
            else
            {
                var tried = await Retry.TryAsync(async t =>
                {
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(t);
                    timeout.CancelAfter(retry.PerRequest);
                    Interlocked.Increment(ref requests);
                    var options = new ChatOptions { ModelId = job.Model, Temperature = settings.Temperature, MaxOutputTokens = settings.MaxOutputTokens, Seed = settings.Seed };
                    try { return (await client.GetResponseAsync(prompt.Messages, options, timeout.Token)).Text ?? ""; }
                    catch (OperationCanceledException) when (!t.IsCancellationRequested) { throw new TimeoutException($"no answer within {retry.PerRequest.TotalSeconds:0.#} s"); }
                }, retry.MaxAttempts, retry.Backoff, e => e is not OperationCanceledException && e is not BadInputException, token);
                (text, attempts) = (tried.Value, tried.Attempts);
                if (text is null)
                {
                    var last = tried.Failure;
                    failures.Add(new SynthesisFailure(item.Id, $"{last?.GetType().Name}: {last?.Message}", attempts));
                    progress?.Report(Interlocked.Increment(ref finished) / (double)sources.Count);
                    return;
                }
                cache.Add(key, text);
            }
            var verdict = QualityChecks.Check(job.Task, item.Text, text, job.Quality);
            var outcome = new SynthesisOutcome(item.Id, item.Score, SynthesisTasks.ConfigName(job.Task, item.Score), prompt.Style, text.Trim(),
                verdict.Accepted, verdict.Reason, attempts, fromCache);
            outcomes[item.Id] = outcome;
            await gate.WaitAsync(CancellationToken.None);
            try
            {
                await journal.WriteLineAsync(JsonSerializer.Serialize(outcome, JournalJson));
                await journal.FlushAsync(CancellationToken.None);
            }
            finally { gate.Release(); }
            progress?.Report(Interlocked.Increment(ref finished) / (double)sources.Count);
        });

        var ordered = sources.Where(s => outcomes.ContainsKey(s.Id)).Select(s => outcomes[s.Id]).ToList();
        var failed = failures.OrderBy(f => sources.FindIndex(s => s.Id == f.Id)).ToList();
        return new SynthesisResult(ordered, failed, resumed, requests, hits);
    }

    /// <summary>Outcomes already journaled in <paramref name="path"/>; a torn last line is ignored.</summary>
    public static Dictionary<string, SynthesisOutcome> ReadJournal(string path)
    {
        var done = new Dictionary<string, SynthesisOutcome>(StringComparer.Ordinal);
        if (!File.Exists(path)) return done;
        foreach (var line in File.ReadLines(path))
        {
            try
            {
                if (JsonSerializer.Deserialize<SynthesisOutcome>(line, JournalJson) is { } o) done[o.Id] = o;
            }
            catch (JsonException) { }
        }
        return done;
    }
}
