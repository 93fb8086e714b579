using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using SafetyNotebooks.Data;
using SafetyNotebooks.Data.Toy;
using SafetyNotebooks.Serving;
using SafetyNotebooks.Synthesis;
using SafetyNotebooks.Tests.Foundation;

namespace SafetyNotebooks.Tests.Serving;

public class ServerTests
{
    static readonly List<Document> Corpus = ToyWorld.Corpus(60, new ToyOptions(9)).ToList();
    const string Model = ToyWorldChatClient.ModelName;

    static Task<RunningServer> ToyServer(ServerOptions? options = null) =>
        OpenAiServer.StartAsync(new ChatClientBackend(new ToyWorldChatClient(Corpus), Model), options ?? new ServerOptions(Port: 0));

    static HttpClient Http() => new() { Timeout = TimeSpan.FromSeconds(20) };

    static async Task<(HttpStatusCode Status, JsonDocument Body)> PostAsync(HttpClient http, string url, string body, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        // Large bodies wait for the server's go-ahead, as a well-behaved client would: a server that refuses them early
        // (413 from Content-Length) then answers instead of closing the connection under a half-sent body.
        request.Headers.ExpectContinue = body.Length > 16 * 1024;
        using var response = await http.SendAsync(request);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task Synthesis_through_the_server_with_the_openai_client_matches_the_direct_run()
    {
        await using var server = await ToyServer();
        using var remote = ChatEndpoints.OpenAiCompatible(server.BaseUrl, Model);
        var items = Corpus.Where(d => d.SafetyScore >= 4).Select(d => new SynthesisItem(d.Id, d.Text, d.SafetyScore!.Value)).ToList();
        var job = new SynthesisJob(SynthesisTask.Refuse, Model, TestDirs.Fresh(), Concurrency: 3);
        var viaHttp = await SynthesisPipeline.RunAsync(remote, job, items);
        var direct = await SynthesisPipeline.RunAsync(new ToyWorldChatClient(Corpus), job with { OutputDir = TestDirs.Fresh() }, items);
        Assert.Empty(viaHttp.Failures);
        Assert.NotEmpty(viaHttp.Outcomes);
        Assert.All(viaHttp.Outcomes, o => Assert.True(o.Accepted, o.RejectReason));
        Assert.Equal(direct.Outcomes.Select(o => o.Text), viaHttp.Outcomes.Select(o => o.Text));
    }

    [Fact]
    public async Task Streaming_models_and_completions_follow_the_openai_format()
    {
        await using var server = await ToyServer();
        using var remote = ChatEndpoints.OpenAiCompatible(server.BaseUrl, Model);
        var updates = new StringBuilder();
        await foreach (var u in remote.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "hello there")])) updates.Append(u.Text);
        Assert.Contains("toy-world", updates.ToString());

        using var http = Http();
        using var models = JsonDocument.Parse(await http.GetStringAsync(server.BaseUrl + "/models"));
        Assert.Equal(Model, models.RootElement.GetProperty("data")[0].GetProperty("id").GetString());

        var (status, body) = await PostAsync(http, server.BaseUrl + "/completions", $$"""{"model": "{{Model}}", "prompt": "Once upon a time", "max_tokens": 16}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("text_completion", body.RootElement.GetProperty("object").GetString());
        Assert.Contains("toy-world", body.RootElement.GetProperty("choices")[0].GetProperty("text").GetString());
        Assert.True(body.RootElement.GetProperty("usage").GetProperty("total_tokens").GetInt32() > 0);
    }

    [Fact]
    public async Task The_safe_beam_field_reaches_the_backend()
    {
        var recording = new RecordingBackend();
        await using var server = await OpenAiServer.StartAsync(recording, new ServerOptions(Port: 0));
        using var http = Http();
        var (status, _) = await PostAsync(http, server.BaseUrl + "/chat/completions",
            """{"model": "rec", "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}], "max_tokens": 7, "temperature": 0, "safe_beam": {"beams": 3, "candidates": 6, "discard_fraction": 0.5}}""");
        Assert.Equal(HttpStatusCode.OK, status);
        var r = recording.Last!;
        Assert.Equal(new SafeBeamRequest(3, 6, 0.5), r.Decoding.SafeBeam);
        Assert.Equal(7, r.MaxTokens);
        Assert.Equal("hi", r.Messages![0].Text);

        await PostAsync(http, server.BaseUrl + "/chat/completions", """{"messages": [{"role": "user", "content": "x"}], "safe_beam": true}""");
        Assert.Equal(new SafeBeamRequest(), recording.Last!.Decoding.SafeBeam);
    }

    public static TheoryData<string, string, HttpStatusCode, string> BadRequests => new()
    {
        { "/chat/completions", "{\"messages\": [", HttpStatusCode.BadRequest, "malformed JSON" },
        { "/chat/completions", "[1, 2]", HttpStatusCode.BadRequest, "JSON object" },
        { "/chat/completions", "{\"model\": \"toy-world-synthesizer\"}", HttpStatusCode.BadRequest, "messages" },
        { "/chat/completions", "{\"messages\": [{\"role\": \"wizard\", \"content\": \"x\"}]}", HttpStatusCode.BadRequest, "wizard" },
        { "/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"max_tokens\": 0}", HttpStatusCode.BadRequest, "max_tokens" },
        { "/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"temperature\": 9}", HttpStatusCode.BadRequest, "temperature" },
        { "/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"safe_beam\": {\"beams\": 99}}", HttpStatusCode.BadRequest, "safe_beam.beams" },
        { "/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"safe_beam\": {\"width\": 2}}", HttpStatusCode.BadRequest, "width" },
        { "/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"n\": 3}", HttpStatusCode.BadRequest, "n = 1" },
        { "/chat/completions", "{\"model\": \"gpt-9\", \"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}", HttpStatusCode.NotFound, "gpt-9" },
        { "/completions", "{\"prompt\": 42}", HttpStatusCode.BadRequest, "prompt" },
        { "/completions", "{\"prompt\": [\"a\", \"b\"]}", HttpStatusCode.BadRequest, "one prompt" },
        { "/embeddings", "{}", HttpStatusCode.NotFound, "no route" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Bad_requests_get_4xx_json_errors(string path, string body, HttpStatusCode expected, string message)
    {
        await using var server = await ToyServer();
        using var http = Http();
        var (status, json) = await PostAsync(http, server.BaseUrl + path, body);
        Assert.Equal(expected, status);
        Assert.Contains(message, json.RootElement.GetProperty("error").GetProperty("message").GetString());
        var (ok, _) = await PostAsync(http, server.BaseUrl + "/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"still alive?\"}]}");
        Assert.Equal(HttpStatusCode.OK, ok);
    }

    [Fact]
    public async Task Huge_bodies_and_wrong_content_types_are_refused_and_the_server_keeps_serving()
    {
        await using var server = await ToyServer(new ServerOptions(Port: 0, MaxBodyBytes: 64 * 1024));
        using var http = Http();
        var huge = "{\"messages\": [{\"role\": \"user\", \"content\": \"" + new string('a', 2 << 20) + "\"}]}";
        var (status, body) = await PostAsync(http, server.BaseUrl + "/chat/completions", huge);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Equal("request_too_large", body.RootElement.GetProperty("error").GetProperty("code").GetString());

        // chunked upload without Content-Length: the limit is enforced while reading
        using (var chunked = new HttpRequestMessage(HttpMethod.Post, server.BaseUrl + "/chat/completions"))
        {
            chunked.Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(huge)));
            chunked.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            chunked.Headers.TransferEncodingChunked = true;
            chunked.Headers.ExpectContinue = true;
            using var response = await http.SendAsync(chunked);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        }

        var (type, _) = await PostAsync(http, server.BaseUrl + "/chat/completions", "messages=x", "application/x-www-form-urlencoded");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, type);
        var (ok, _) = await PostAsync(http, server.BaseUrl + "/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"ok\"}]}");
        Assert.Equal(HttpStatusCode.OK, ok);
    }

    [Fact]
    public async Task A_client_that_disconnects_cancels_its_generation_and_frees_the_slot()
    {
        var slow = new SlowBackend();
        await using var server = await OpenAiServer.StartAsync(slow, new ServerOptions(Port: 0, MaxConcurrentGenerations: 1));
        using (var http = Http())
        using (var cts = new CancellationTokenSource())
        {
            using var content = new StringContent("{\"messages\": [{\"role\": \"user\", \"content\": \"slow\"}]}", Encoding.UTF8, "application/json");
            var request = http.PostAsync(server.BaseUrl + "/chat/completions", content, cts.Token);
            // disconnect only once the generation has started (a fixed delay raced the request on a busy machine)
            await slow.Started.Task.WaitAsync(TimeSpan.FromSeconds(30));
            cts.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => request);
        }
        Assert.True(await slow.Cancelled.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        slow.Delay = TimeSpan.Zero;
        using var again = Http();
        var (status, _) = await PostAsync(again, server.BaseUrl + "/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"fast\"}]}");
        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Fact]
    public async Task A_full_queue_answers_503()
    {
        var slow = new SlowBackend { Delay = TimeSpan.FromSeconds(3) };
        await using var server = await OpenAiServer.StartAsync(slow, new ServerOptions(Port: 0, MaxConcurrentGenerations: 1, QueueTimeout: TimeSpan.FromMilliseconds(100)));
        using var http = Http();
        var body = "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}";
        var first = PostAsync(http, server.BaseUrl + "/chat/completions", body);
        await slow.Started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var (status, json) = await PostAsync(http, server.BaseUrl + "/chat/completions", body);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("overloaded", json.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.OK, (await first).Status);
    }

    [Fact]
    public async Task Only_loopback_addresses_are_allowed()
    {
        var e = await Assert.ThrowsAsync<BadInputException>(() => ToyServer(new ServerOptions(Host: "0.0.0.0", Port: 0)));
        Assert.Contains("loopback", e.Message);
        var cli = await CliRunner.RunAsync("serve", "--model", "toy", "--host", "0.0.0.0", "--port", "0");
        Assert.Equal(2, cli.Code);
    }

    sealed class RecordingBackend : IServingBackend
    {
        public GenerationRequest? Last;
        public string ModelId => "rec";

        public Task<GenerationReply> GenerateAsync(GenerationRequest request, CancellationToken ct)
        {
            Last = request;
            return Task.FromResult(new GenerationReply("ok", "stop", 1, 1));
        }
    }

    sealed class SlowBackend : IServingBackend
    {
        public TimeSpan Delay = TimeSpan.FromSeconds(30);
        public readonly TaskCompletionSource<bool> Cancelled = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public readonly TaskCompletionSource<bool> Started = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public string ModelId => "slow";

        public async Task<GenerationReply> GenerateAsync(GenerationRequest request, CancellationToken ct)
        {
            Started.TrySetResult(true);
            try { await Task.Delay(Delay, ct); }
            catch (OperationCanceledException) { Cancelled.TrySetResult(true); throw; }
            return new GenerationReply("done", "stop", 1, 1);
        }
    }
}
