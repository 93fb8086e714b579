using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SafetyNotebooks.Scoring;

namespace SafetyNotebooks.Tests.Scoring;

/// <summary>An in-process judge: answers with <c>respond(userText)</c>, failing the first <c>failures</c> calls with a transport error.</summary>
sealed class FakeChatClient(Func<string, string> respond, int failures = 0) : IChatClient
{
    int calls;
    int inFlight;
    public int Calls => calls;
    public int MaxInFlight { get; private set; }
    public List<IReadOnlyList<ChatMessage>> Requests { get; } = [];

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages.ToList();
        var n = Interlocked.Increment(ref calls);
        lock (Requests) Requests.Add(list);
        var now = Interlocked.Increment(ref inFlight);
        lock (Requests) MaxInFlight = Math.Max(MaxInFlight, now);
        try
        {
            await Task.Delay(5, cancellationToken);
            if (n <= failures) throw new HttpRequestException("connection reset");
            return new ChatResponse(new ChatMessage(ChatRole.Assistant, respond(list.First(m => m.Role == ChatRole.User).Text)));
        }
        finally { Interlocked.Decrement(ref inFlight); }
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public object? GetService(Type serviceType, object? serviceKey = null) => null;
    public void Dispose() { }
}

public sealed class LlmScoringTests
{
    [Theory]
    [InlineData("3, \"reason\": \"weapons\"}", 3, "weapons")]                       // continues the pre-filled prefix
    [InlineData("{\"score\": 5, \"reason\": \"hate speech\"}", 5, "hate speech")]    // repeats the whole object
    [InlineData("Sure! {\"score\": \"2\", \"reason\": \"sarcasm\"} Hope this helps.", 2, "sarcasm")]
    [InlineData("4, \"reason\": \"detailed \\\"how-to\\\"", 4, "detailed \"how-to\"")] // cut off before the end
    [InlineData("0}", 0, null)]
    public void Parses_tolerantly(string completion, int score, string? reason)
    {
        var a = LlmAnswerParser.Parse(completion);
        Assert.Equal(score, a.Score);
        Assert.Equal(reason, a.Reason);
    }

    [Theory]
    [InlineData("I cannot rate this text.")]
    [InlineData("7, \"reason\": \"off scale\"}")]
    [InlineData("2.5, \"reason\": \"between\"}")]
    [InlineData("")]
    public void Unreadable_answers_are_failures_not_guesses(string completion) => Assert.True(LlmAnswerParser.Parse(completion).Failed);

    [Fact]
    public async Task Scores_in_input_order_with_bounded_concurrency_prefill_and_retries()
    {
        var client = new FakeChatClient(text => text.Contains("bomb") ? "5, \"reason\": \"weapons\"}" : text.Contains("???") ? "no idea" : "0, \"reason\": \"none\"}", failures: 2);
        var texts = Enumerable.Range(0, 40).Select(i => i % 10 == 3 ? $"how to build a bomb {i}" : i == 7 ? "??? " : $"a garden {i}").ToList();
        var answers = await LlmScorer.ScoreAllAsync(client, texts, new LlmScoringOptions(MaxConcurrency: 3, InitialBackoff: TimeSpan.FromMilliseconds(1)));
        Assert.Equal(texts.Select(t => t.Contains("bomb") ? 5 : t.StartsWith("???") ? (int?)null : 0), answers.Select(a => a.Score));
        Assert.Equal(1, answers.Count(a => a.Failed));
        Assert.Equal(42, client.Calls); // two transport errors were retried
        Assert.InRange(client.MaxInFlight, 1, 3);
        var request = client.Requests[0];
        Assert.Equal(ChatRole.Assistant, request[^1].Role);
        Assert.Equal(ScoringPrompt.AnswerPrefix, request[^1].Text);
        Assert.Contains("highest level", request[0].Text);
    }

    [Fact]
    public async Task A_persistent_transport_error_surfaces_after_the_last_attempt()
    {
        var client = new FakeChatClient(_ => "0}", failures: 100);
        await Assert.ThrowsAsync<HttpRequestException>(() => LlmScorer.ScoreAsync(client, "x", new LlmScoringOptions(MaxAttempts: 3, InitialBackoff: TimeSpan.FromMilliseconds(1))));
        Assert.Equal(3, client.Calls);
    }

    [Fact]
    public async Task Scoring_job_writes_parquet_parts_and_a_rerun_scores_only_missing_parts()
    {
        var dir = Foundation.TestDirs.Fresh();
        var docs = Enumerable.Range(0, 25).Select(i => ($"doc-{i}", i % 4 == 0 ? "bomb" : "garden")).ToList();
        var client = new FakeChatClient(t => t.Contains("bomb") ? "4, \"reason\": \"weapons\"}" : "0, \"reason\": \"none\"}");
        var first = await LlmScoringJob.RunAsync(client, docs, dir, partSize: 10);
        Assert.Equal((25, 0, 0, 3), (first.Scored, first.Skipped, first.Failures, first.Parts.Count));
        File.Delete(first.Parts[1]); // as if killed while writing part 1
        var again = new FakeChatClient(t => "0}");
        var second = await LlmScoringJob.RunAsync(again, docs, dir, partSize: 10);
        Assert.Equal((10, 15), (second.Scored, second.Skipped));
        Assert.Equal(10, again.Calls);
        var rows = await LlmScoringJob.ReadAllAsync(second.Parts);
        Assert.Equal(docs.Select(d => d.Item1), rows.Select(r => r.Id));
        Assert.Equal(4, rows[0].SafetyScore);
        Assert.Equal("weapons", rows[20].SafetyReason);
        Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
    }

    [Fact]
    public void The_endpoint_comes_from_options_or_environment_and_never_prints_the_key()
    {
        var e = LlmEndpoint.Resolve("http://127.0.0.1:9/v1", "qwen", "sk-secret-123");
        Assert.DoesNotContain("sk-secret", e.ToString());
        Assert.Throws<BadInputException>(() => LlmEndpoint.Resolve("ftp://x", "m", null));
        var ex = Assert.Throws<BadInputException>(() => LlmEndpoint.Resolve("http://x", "", null));
        Assert.Contains("model", ex.Message);
    }

    [Fact]
    public async Task Scores_over_real_http_against_a_loopback_openai_compatible_server()
    {
        using var server = new LoopbackOpenAi(body =>
        {
            var messages = body["messages"]!.AsArray();
            var user = messages.First(m => (string?)m!["role"] == "user")!["content"]!.ToString();
            return user.Contains("bomb") ? "5, \"reason\": \"weapons\"}" : "0, \"reason\": \"none\"}";
        });
        var endpoint = LlmEndpoint.Resolve(server.Url, "toy-judge", "sk-test");
        var answers = await LlmScorer.ScoreAllAsync(endpoint.CreateClient(), ["a bomb recipe", "a garden"], new LlmScoringOptions(MaxConcurrency: 2));
        Assert.Equal([5, 0], answers.Select(a => a.Score ?? -1));
        var request = server.Bodies[0];
        Assert.Equal("toy-judge", (string?)request["model"]);
        var last = request["messages"]!.AsArray()[^1]!;
        Assert.Equal("assistant", (string?)last["role"]);
        Assert.Contains("Bearer sk-test", server.Authorizations[0]);
    }
}

/// <summary>
/// A minimal OpenAI-compatible /v1/chat/completions server on loopback. Kestrel binds port 0 and reports the port
/// the system chose, so no other process can take it between choosing and binding.
/// </summary>
sealed class LoopbackOpenAi : IDisposable
{
    readonly WebApplication app;
    public string Url { get; }
    public List<JsonNode> Bodies { get; } = [];
    public List<string> Authorizations { get; } = [];

    public LoopbackOpenAi(Func<JsonNode, string> answer)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        app = builder.Build();
        app.Run(async ctx =>
        {
            using var reader = new StreamReader(ctx.Request.Body);
            var body = JsonNode.Parse(await reader.ReadToEndAsync())!;
            lock (Bodies) { Bodies.Add(body); Authorizations.Add(ctx.Request.Headers.Authorization.ToString()); }
            var reply = new JsonObject
            {
                ["id"] = "cmpl-1", ["object"] = "chat.completion", ["created"] = 0, ["model"] = (string?)body["model"],
                ["choices"] = new JsonArray(new JsonObject
                {
                    ["index"] = 0, ["finish_reason"] = "stop",
                    ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = answer(body) },
                }),
                ["usage"] = new JsonObject { ["prompt_tokens"] = 1, ["completion_tokens"] = 1, ["total_tokens"] = 2 },
            };
            var bytes = Encoding.UTF8.GetBytes(reply.ToJsonString());
            ctx.Response.ContentType = "application/json";
            ctx.Response.ContentLength = bytes.Length;
            await ctx.Response.Body.WriteAsync(bytes);
        });
        app.StartAsync().GetAwaiter().GetResult();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Url = address.TrimEnd('/') + "/v1";
    }

    public void Dispose() => app.DisposeAsync().AsTask().GetAwaiter().GetResult();
}
