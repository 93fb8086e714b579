using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using SafetyNotebooks.Data;
using SafetyNotebooks.Data.Toy;
using SafetyNotebooks.Synthesis;
using SafetyNotebooks.Tests.Foundation;

namespace SafetyNotebooks.Tests.Synthesis;

public class PipelineTests
{
    static readonly List<Document> Corpus = ToyWorld.Corpus(80, new ToyOptions(3)).ToList();

    static IEnumerable<SynthesisItem> Items(int min, int max) =>
        // documents whose recorded label is the score they were written for (the toy world mislabels a few on purpose)
        Corpus.Where(d => d.SafetyScore >= min && d.SafetyScore <= max && ToyWorld.Facts(d.Id).Score == d.SafetyScore)
            .Select(d => new SynthesisItem(d.Id, d.Text, d.SafetyScore!.Value));

    static SynthesisJob Job(SynthesisTask task, string dir, int concurrency = 4, int attempts = 4) =>
        new(task, "toy", dir, concurrency, Seed: 1, Retry: new RetryPolicy(attempts, BaseDelay: TimeSpan.FromMilliseconds(1), Timeout: TimeSpan.FromSeconds(10)));

    [Fact]
    public async Task Toy_client_answers_every_task_and_all_pass_the_checks()
    {
        var client = new ToyWorldChatClient(Corpus);
        var dir = TestDirs.Fresh();
        var mild = Items(1, 3).ToList();
        var r = await SynthesisPipeline.RunAsync(client, Job(SynthesisTask.Rephrase, Path.Combine(dir, "r")), mild);
        Assert.Equal(mild.Select(m => m.Id), r.Outcomes.Select(o => o.Id)); // input order
        Assert.All(r.Outcomes, o => Assert.True(o.Accepted, $"{o.Id}: {o.RejectReason}\n{o.Text}"));
        Assert.All(r.Outcomes, o => Assert.Equal($"score_{o.Score}_rephrased", o.Config));
        Assert.All(r.Outcomes, o => Assert.Equal(SeededDraw.Style(1, o.Id), o.Style));

        var refusals = await SynthesisPipeline.RunAsync(client, Job(SynthesisTask.Refuse, Path.Combine(dir, "f")), Items(4, 5));
        Assert.NotEmpty(refusals.Outcomes);
        Assert.All(refusals.Outcomes, o => Assert.True(o.Accepted, $"{o.Id}: {o.RejectReason}\n{o.Text}"));
        Assert.All(refusals.Outcomes, o => Assert.StartsWith("User:", o.Text));

        var morals = await SynthesisPipeline.RunAsync(client, Job(SynthesisTask.Moral, Path.Combine(dir, "m")),
            refusals.Outcomes.Select(o => new SynthesisItem(o.Id, o.Text, o.Score)));
        Assert.All(morals.Outcomes, o => Assert.True(o.Accepted, $"{o.Id}: {o.RejectReason}\n{o.Text}"));
        Assert.All(morals.Outcomes, o => Assert.StartsWith("# ", o.Text));
    }

    [Fact]
    public async Task Results_do_not_depend_on_concurrency()
    {
        var one = await SynthesisPipeline.RunAsync(new ToyWorldChatClient(Corpus), Job(SynthesisTask.Rephrase, TestDirs.Fresh(), 1), Items(1, 3));
        var many = await SynthesisPipeline.RunAsync(new ToyWorldChatClient(Corpus), Job(SynthesisTask.Rephrase, TestDirs.Fresh(), 8), Items(1, 3));
        Assert.Equal(one.Outcomes.Select(o => (o.Id, o.Text)), many.Outcomes.Select(o => (o.Id, o.Text)));
    }

    [Fact]
    public async Task Misbehaving_answers_are_rejected_with_reasons_and_flaky_ones_retried()
    {
        var client = new ToyWorldChatClient(Corpus, misbehaviour: new ToyMisbehaviour(Seed: 5, EmptyRate: 0.15, DeclineRate: 0.15, EchoRate: 0.15, FlakyRate: 0.3));
        var r = await SynthesisPipeline.RunAsync(client, Job(SynthesisTask.Rephrase, TestDirs.Fresh()), Items(1, 3));
        var reasons = r.Rejected.Select(o => o.RejectReason!.Split(" (")[0]).ToHashSet();
        Assert.Contains(QualityChecks.Empty, reasons);
        Assert.Contains(QualityChecks.DeclinedTask, reasons);
        Assert.Contains(QualityChecks.Copied, reasons);
        Assert.Contains(r.Outcomes, o => o.Attempts == 2);
        Assert.Empty(r.Failures);
        Assert.True(r.Requests > r.Outcomes.Count);
    }

    [Fact]
    public async Task Failed_documents_are_left_for_a_rerun_which_resumes_from_the_journal()
    {
        var dir = TestDirs.Fresh();
        var misbehaviour = new ToyMisbehaviour(Seed: 2, FlakyRate: 0.5, TransientFailures: 1);
        var items = Items(1, 3).ToList();
        var first = await SynthesisPipeline.RunAsync(new ToyWorldChatClient(Corpus, misbehaviour: misbehaviour), Job(SynthesisTask.Rephrase, dir, attempts: 1), items);
        Assert.NotEmpty(first.Failures);
        Assert.Equal(items.Count, first.Outcomes.Count + first.Failures.Count);

        var client = new ToyWorldChatClient(Corpus);
        var second = await SynthesisPipeline.RunAsync(client, Job(SynthesisTask.Rephrase, dir), items);
        Assert.Equal(first.Outcomes.Count, second.Resumed);
        Assert.Equal(first.Failures.Count, client.Requests);
        Assert.Equal(items.Count, second.Outcomes.Count);
        Assert.Empty(second.Failures);

        var third = await SynthesisPipeline.RunAsync(client, Job(SynthesisTask.Rephrase, dir), items);
        Assert.Equal(items.Count, third.Resumed);
        Assert.Equal(0, third.Requests);
    }

    [Fact]
    public async Task A_torn_journal_is_recovered_from_the_cache_without_new_requests()
    {
        var dir = TestDirs.Fresh();
        var items = Items(4, 5).ToList();
        await SynthesisPipeline.RunAsync(new ToyWorldChatClient(Corpus), Job(SynthesisTask.Refuse, dir), items);
        var journal = Path.Combine(dir, SynthesisPipeline.JournalFile);
        var lines = File.ReadAllLines(journal);
        File.WriteAllText(journal, string.Join("\n", lines[..^2]) + "\n" + lines[^2][..10]); // killed mid-write
        var client = new ToyWorldChatClient(Corpus);
        var r = await SynthesisPipeline.RunAsync(client, Job(SynthesisTask.Refuse, dir), items);
        Assert.Equal(items.Count - 2, r.Resumed);
        Assert.Equal(2, r.CacheHits);
        Assert.Equal(0, client.Requests);
        Assert.Equal(items.Count, r.Outcomes.Count);
    }

    [Fact]
    public async Task Slow_answers_time_out_and_concurrency_stays_bounded()
    {
        var slow = new SlowClient(TimeSpan.FromSeconds(5));
        var job = Job(SynthesisTask.Rephrase, TestDirs.Fresh(), concurrency: 3, attempts: 2) with
        {
            Retry = new RetryPolicy(2, BaseDelay: TimeSpan.FromMilliseconds(1), Timeout: TimeSpan.FromMilliseconds(50)),
        };
        var items = Items(1, 3).Take(9).ToList();
        var r = await SynthesisPipeline.RunAsync(slow, job, items);
        Assert.Equal(9, r.Failures.Count);
        Assert.All(r.Failures, f => Assert.Contains("TimeoutException", f.Error));
        Assert.All(r.Failures, f => Assert.Equal(2, f.Attempts));
        Assert.InRange(slow.MaxInFlight, 1, 3);
    }

    [Fact]
    public async Task Scores_outside_the_task_are_bad_input()
    {
        var e = await Assert.ThrowsAsync<BadInputException>(() =>
            SynthesisPipeline.RunAsync(new ToyWorldChatClient(Corpus), Job(SynthesisTask.Rephrase, TestDirs.Fresh()), Items(4, 5)));
        Assert.Contains("safety_score", e.Message);
    }

    [Fact]
    public async Task Toy_client_declines_prompts_for_the_wrong_score_like_an_llm()
    {
        var harmful = Corpus.First(d => d.SafetyScore == 5);
        var client = new ToyWorldChatClient(Corpus);
        var reply = await client.GetResponseAsync(SynthesisPrompts.Build(SynthesisTask.Rephrase, harmful.Text, SafeWebStyle.Podcast).Messages);
        Assert.True(QualityChecks.DeclinesTask(reply.Text));
        var chat = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "hello")]);
        Assert.Contains("toy-world", chat.Text);
    }

    sealed class SlowClient(TimeSpan delay) : IChatClient
    {
        int _inFlight;
        public int MaxInFlight;

        public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken ct = default)
        {
            var now = Interlocked.Increment(ref _inFlight);
            InterlockedMax(ref MaxInFlight, now);
            try { await Task.Delay(delay, ct); return new ChatResponse(new ChatMessage(ChatRole.Assistant, "late")); }
            finally { Interlocked.Decrement(ref _inFlight); }
        }

        static void InterlockedMax(ref int target, int value)
        {
            int current;
            while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current) { }
        }

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken ct = default)
        {
            await Task.Yield();
            yield break;
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;
        public void Dispose() { }
    }
}
