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
        Validate(job.Task, sources);
        Directory.CreateDirectory(job.OutputDir);
        var journalPath = Path.Combine(job.OutputDir, JournalFile);
        var done = ReadJournal(journalPath);
        var resumed = sources.Count(s => done.ContainsKey(s.Id));
        using var run = new Run(client, job, journalPath, done, new FinishedShare(progress, resumed, sources.Count));
        var todo = sources.Where(s => !done.ContainsKey(s.Id));
        await Parallel.ForEachAsync(todo, new ParallelOptions { MaxDegreeOfParallelism = job.Concurrency, CancellationToken = ct }, run.SynthesizeAsync);

        var ordered = sources.Where(s => run.Outcomes.ContainsKey(s.Id)).Select(s => run.Outcomes[s.Id]).ToList();
        var failed = run.Failures.OrderBy(f => sources.FindIndex(s => s.Id == f.Id)).ToList();
        return new SynthesisResult(ordered, failed, resumed, run.Requests, run.Hits);
    }

    static void Validate(SynthesisTask task, IReadOnlyList<SynthesisItem> sources)
    {
        var (min, max) = SynthesisTasks.Scores(task);
        foreach (var s in sources)
            if (s.Score < min || s.Score > max)
                throw new BadInputException($"{task} takes score {min}–{max} texts", s.Id, "safety_score", s.Score.ToString());
        var duplicate = sources.GroupBy(s => s.Id).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new BadInputException("duplicate id in the input", duplicate.Key, "id");
    }

    /// <summary>The share of sources finished (journaled or failed), resumed ones included.</summary>
    sealed class FinishedShare(IProgress<double>? report, int resumed, int total)
    {
        int _finished = resumed;
        public void OneMore() => report?.Report(Interlocked.Increment(ref _finished) / (double)total);
    }

    /// <summary>One run's shared state: the response cache, the journal (one writer at a time), outcomes, failures, counts.</summary>
    sealed class Run : IDisposable
    {
        readonly IChatClient _client;
        readonly SynthesisJob _job;
        readonly GenerationSettings _settings;
        readonly RetryPolicy _retry;
        readonly ResponseCache _cache;
        readonly StreamWriter _journal;
        readonly SemaphoreSlim _gate = new(1, 1);
        readonly FinishedShare _progress;
        int _requests, _hits;

        public Run(IChatClient client, SynthesisJob job, string journalPath, Dictionary<string, SynthesisOutcome> done, FinishedShare progress)
        {
            (_client, _job, _progress) = (client, job, progress);
            _settings = job.Settings ?? new GenerationSettings();
            _retry = job.Retry ?? new RetryPolicy();
            _cache = ResponseCache.Open(Path.Combine(job.OutputDir, CacheFile));
            try { _journal = new StreamWriter(new FileStream(journalPath, FileMode.Append, FileAccess.Write, FileShare.Read), new UTF8Encoding(false)); }
            catch { _cache.Dispose(); throw; }
            Outcomes = new ConcurrentDictionary<string, SynthesisOutcome>(done);
        }

        public ConcurrentDictionary<string, SynthesisOutcome> Outcomes { get; }
        public ConcurrentBag<SynthesisFailure> Failures { get; } = [];
        public int Requests => _requests;
        public int Hits => _hits;

        // one source: the cached answer or the model's (with retries), checked and journaled; or a failure after the last attempt
        public async ValueTask SynthesizeAsync(SynthesisItem item, CancellationToken token)
        {
            var prompt = PromptFor(_job.Task, item, _job.Seed);
            var key = CacheKey.For(prompt, _job.Model, _settings);
            var attempts = 0;
            var fromCache = _cache.TryGet(key, out var text);
            if (fromCache) Interlocked.Increment(ref _hits);
            else
            {
                var tried = await AskAsync(prompt, token);
                attempts = tried.Attempts;
                if (tried.Value is null)
                {
                    Failures.Add(new SynthesisFailure(item.Id, $"{tried.Failure?.GetType().Name}: {tried.Failure?.Message}", attempts));
                    _progress.OneMore();
                    return;
                }
                text = tried.Value;
                _cache.Add(key, text);
            }
            var verdict = QualityChecks.Check(_job.Task, item.Text, text, _job.Quality);
            await JournalAsync(new SynthesisOutcome(item.Id, item.Score, SynthesisTasks.ConfigName(_job.Task, item.Score), prompt.Style, text.Trim(),
                verdict.Accepted, verdict.Reason, attempts, fromCache));
            _progress.OneMore();
        }

        // each attempt has its own timeout; cancellation and bad input are not retried
        Task<Attempted<string>> AskAsync(SynthesisPrompt prompt, CancellationToken token) =>
            Retry.TryAsync(async t =>
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(t);
                timeout.CancelAfter(_retry.PerRequest);
                Interlocked.Increment(ref _requests);
                var options = new ChatOptions { ModelId = _job.Model, Temperature = _settings.Temperature, MaxOutputTokens = _settings.MaxOutputTokens, Seed = _settings.Seed };
                try { return (await _client.GetResponseAsync(prompt.Messages, options, timeout.Token)).Text ?? ""; }
                catch (OperationCanceledException) when (!t.IsCancellationRequested) { throw new TimeoutException($"no answer within {_retry.PerRequest.TotalSeconds:0.#} s"); }
            }, _retry.MaxAttempts, _retry.Backoff, e => e is not OperationCanceledException && e is not BadInputException, token);

        async Task JournalAsync(SynthesisOutcome outcome)
        {
            Outcomes[outcome.Id] = outcome;
            await _gate.WaitAsync(CancellationToken.None);
            try
            {
                await _journal.WriteLineAsync(JsonSerializer.Serialize(outcome, JournalJson));
                await _journal.FlushAsync(CancellationToken.None);
            }
            finally { _gate.Release(); }
        }

        public void Dispose()
        {
            _journal.Dispose();
            _cache.Dispose();
            _gate.Dispose();
        }
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
