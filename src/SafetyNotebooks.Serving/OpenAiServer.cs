using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace SafetyNotebooks.Serving;

/// <summary>Server limits. Loopback addresses only: the server has no authentication.</summary>
/// <param name="Port">0 picks a free port (see <see cref="RunningServer.BaseUrl"/>).</param>
/// <param name="MaxBodyBytes">Larger request bodies get 413.</param>
/// <param name="MaxConcurrentGenerations">Generations run at once; the rest wait (up to <see cref="QueueTimeout"/>, then 503).</param>
/// <param name="GenerationTimeout">A generation that takes longer is cancelled with 504.</param>
/// <param name="MaxConnections">Requests in progress at once; one more is answered 503 with Retry-After (never dropped unanswered).</param>
/// <param name="MaxPerClient">Requests in progress at once from one client address; one more is answered 429 with Retry-After.</param>
/// <param name="HeaderTimeout">A client that has not sent its request headers by then is disconnected (slow-loris).</param>
/// <param name="BodyTimeout">A client that has not sent its whole body by then gets 408.</param>
public sealed record ServerOptions(
    string Host = "127.0.0.1",
    int Port = 8080,
    long MaxBodyBytes = 1 << 20,
    int MaxConcurrentGenerations = 1,
    TimeSpan? QueueTimeout = null,
    TimeSpan? GenerationTimeout = null,
    OpenAiProtocol.Limits? Limits = null,
    int MaxConnections = 64,
    int MaxPerClient = 32,
    TimeSpan? HeaderTimeout = null,
    TimeSpan? BodyTimeout = null)
{
    /// <summary>Open TCP connections Kestrel keeps at most: far above <see cref="MaxConnections"/>, so idle or slow ones cannot crowd out requests.</summary>
    public const int MaxOpenConnections = 4096;

    /// <summary>Seconds a refused client is told to wait (Retry-After).</summary>
    public const int RetryAfterSeconds = 1;
}

/// <summary>A started server; dispose to stop it.</summary>
public sealed class RunningServer(WebApplication app, string baseUrl) : IAsyncDisposable
{
    /// <summary>The OpenAI base URL, e.g. <c>http://127.0.0.1:8080/v1</c>.</summary>
    public string BaseUrl { get; } = baseUrl;

    public Task WaitForShutdownAsync(CancellationToken ct) => app.WaitForShutdownAsync(ct);

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}

/// <summary>
/// An OpenAI-compatible HTTP server (<c>/v1/chat/completions</c>, <c>/v1/completions</c>, <c>/v1/models</c>) over an
/// <see cref="IServingBackend"/>, on Kestrel. Every error is an OpenAI-style JSON body with a 4xx/5xx status; malformed
/// JSON, oversized bodies and clients that hang up affect only their own request.
/// </summary>
public static class OpenAiServer
{
    public static async Task<RunningServer> StartAsync(IServingBackend backend, ServerOptions? options = null, CancellationToken ct = default)
    {
        var o = options ?? new ServerOptions();
        if (!IPAddress.TryParse(o.Host == "localhost" ? "127.0.0.1" : o.Host, out var ip) || !IPAddress.IsLoopback(ip))
            throw new BadInputException("the server has no authentication and listens on loopback addresses only (127.0.0.1 or ::1)", "--host", value: o.Host);
        if (o.Port is < 0 or > 65535) throw new BadInputException("must be 0–65535", "--port", value: o.Port.ToString());
        Bounds.Within(o.MaxConcurrentGenerations, 1, 1024, "--max-concurrent");
        Bounds.Within(o.MaxBodyBytes, 1L, 1L << 30, "--max-body-bytes");
        Bounds.Within(o.MaxConnections, 1, ServerOptions.MaxOpenConnections, "max connections");
        Bounds.Within(o.MaxPerClient, 1, ServerOptions.MaxOpenConnections, "max requests per client");
        var limits = o.Limits ?? new OpenAiProtocol.Limits();

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = o.MaxBodyBytes;
            k.Limits.MaxConcurrentConnections = ServerOptions.MaxOpenConnections;
            k.Limits.RequestHeadersTimeout = o.HeaderTimeout ?? TimeSpan.FromSeconds(5);
            k.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(30);
            // a body trickled in slower than 1 KB/s (after a 2 s grace) is cut off
            k.Limits.MinRequestBodyDataRate = new Microsoft.AspNetCore.Server.Kestrel.Core.MinDataRate(1024, TimeSpan.FromSeconds(2));
            k.AddServerHeader = false;
            k.Listen(ip, o.Port);
        });
        var app = builder.Build();
        app.Use(new Admission(o.MaxConnections, o.MaxPerClient).InvokeAsync);
        var gate = new SemaphoreSlim(o.MaxConcurrentGenerations, o.MaxConcurrentGenerations);
        var handler = new Handler(backend, gate, limits, o.QueueTimeout ?? TimeSpan.FromMinutes(2), o.GenerationTimeout ?? TimeSpan.FromMinutes(5), o.MaxBodyBytes,
            o.BodyTimeout ?? TimeSpan.FromSeconds(10));
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        app.MapGet("/v1/models", ctx => Handler.WriteJson(ctx, 200, OpenAiProtocol.Models(backend.ModelId, created)));
        app.MapGet("/health", ctx => Handler.WriteJson(ctx, 200, new JsonObject { ["status"] = "ok" }));
        app.MapPost("/v1/chat/completions", ctx => handler.HandleAsync(ctx, chat: true));
        app.MapPost("/v1/completions", ctx => handler.HandleAsync(ctx, chat: false));
        app.MapFallback(ctx => Handler.WriteJson(ctx, 404, OpenAiProtocol.Error($"no route {ctx.Request.Method} {ctx.Request.Path}", code: "not_found")));

        await app.StartAsync(ct);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new RunningServer(app, address.TrimEnd('/') + "/v1");
    }

    sealed class Handler(IServingBackend backend, SemaphoreSlim gate, OpenAiProtocol.Limits limits, TimeSpan queueTimeout, TimeSpan generationTimeout, long maxBody, TimeSpan bodyTimeout)
    {
        long _next;

        public async Task HandleAsync(HttpContext ctx, bool chat)
        {
            var aborted = ctx.RequestAborted;
            try
            {
                var request = await ParseAsync(ctx, chat);
                var reply = await GenerateAsync(request, aborted);
                await RespondAsync(ctx, chat, request, reply, aborted);
            }
            catch (OperationCanceledException) when (aborted.IsCancellationRequested)
            {
                // the client hung up: nothing to answer
            }
            catch (ProtocolError e) when (!ctx.Response.HasStarted)
            {
                await WriteJson(ctx, e.Status, e.ToJson());
            }
            catch (Exception e) when (!ctx.Response.HasStarted && !aborted.IsCancellationRequested)
            {
                await WriteJson(ctx, 500, OpenAiProtocol.Error($"{e.GetType().Name}: {e.Message}", "server_error"));
            }
        }

        // size, content type, JSON and the OpenAI fields, checked before the request waits for a generation slot
        async Task<ParsedRequest> ParseAsync(HttpContext ctx, bool chat)
        {
            if (ctx.Request.ContentLength > maxBody)
                throw new ProtocolError(413, $"request body over {maxBody} bytes", code: "request_too_large");
            if (ctx.Request.ContentType is { } type && !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
                throw new ProtocolError(415, "expected Content-Type: application/json");
            var body = await RequestBody.ReadAsync(ctx, maxBody, bodyTimeout);
            JsonDocument doc;
            try { doc = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 32 }); }
            catch (JsonException e) { throw new ProtocolError(400, $"malformed JSON: {e.Message}", code: "invalid_json"); }
            ParsedRequest request;
            using (doc) request = chat ? OpenAiProtocol.ParseChat(doc.RootElement, limits) : OpenAiProtocol.ParseCompletion(doc.RootElement, limits);
            if (request.Model is { } m && m != backend.ModelId)
                throw new ProtocolError(404, $"the model '{m}' does not exist; this server serves '{backend.ModelId}'", "model", code: "model_not_found");
            return request;
        }

        // one generation slot, waited for at most queueTimeout; the generation itself at most generationTimeout
        async Task<GenerationReply> GenerateAsync(ParsedRequest request, CancellationToken aborted)
        {
            if (!await gate.WaitAsync(queueTimeout, aborted))
                throw new ProtocolError(503, "the server is busy; retry later", type: "server_error", code: "overloaded");
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(aborted);
                timeout.CancelAfter(generationTimeout);
                try { return await backend.GenerateAsync(request.Generation, timeout.Token); }
                catch (OperationCanceledException) when (!aborted.IsCancellationRequested)
                {
                    throw new ProtocolError(504, $"generation took longer than {generationTimeout.TotalSeconds:0} s", type: "server_error", code: "timeout");
                }
                catch (BadInputException e) { throw new ProtocolError(400, e.Message); }
            }
            finally { gate.Release(); }
        }

        // one JSON response, or server-sent events when the request asked to stream
        async Task RespondAsync(HttpContext ctx, bool chat, ParsedRequest request, GenerationReply reply, CancellationToken aborted)
        {
            var id = (chat ? "chatcmpl-" : "cmpl-") + Interlocked.Increment(ref _next).ToString("x8");
            var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            if (!request.Stream)
            {
                await WriteJson(ctx, 200, chat ? OpenAiProtocol.ChatResponse(id, created, backend.ModelId, reply) : OpenAiProtocol.CompletionResponse(id, created, backend.ModelId, reply));
                return;
            }
            ctx.Response.StatusCode = 200;
            ctx.Response.ContentType = "text/event-stream";
            var chunks = chat ? OpenAiProtocol.ChatChunks(id, created, backend.ModelId, reply) : OpenAiProtocol.CompletionChunks(id, created, backend.ModelId, reply);
            foreach (var chunk in chunks) await ctx.Response.WriteAsync($"data: {chunk.ToJsonString()}\n\n", aborted);
            await ctx.Response.WriteAsync("data: [DONE]\n\n", aborted);
        }

        public static Task WriteJson(HttpContext ctx, int status, JsonObject body) => OpenAiServerJson.WriteAsync(ctx, status, body);
    }
}

/// <summary>
/// Admission before any work: at most <paramref name="max"/> requests in progress, and at most <paramref name="perClient"/>
/// from one address. A request over either limit is answered at once (503 or 429, with Retry-After) instead of waiting
/// or being dropped, so a flood or a greedy client cannot leave others without an answer.
/// </summary>
sealed class Admission(int max, int perClient)
{
    int _inFlight;
    readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _byClient = new();

    public async Task InvokeAsync(HttpContext ctx, Func<Task> next)
    {
        var client = ctx.Connection.RemoteIpAddress?.ToString() ?? "?";
        var mine = _byClient.AddOrUpdate(client, 1, (_, n) => n + 1);
        var all = Interlocked.Increment(ref _inFlight);
        try
        {
            if (all > max) await Refuse(ctx, 503, $"the server is at its limit of {max} requests in progress; retry later", "overloaded");
            else if (mine > perClient) await Refuse(ctx, 429, $"this client has {perClient} requests in progress already; retry later", "rate_limited");
            else await next();
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
            _byClient.AddOrUpdate(client, 0, (_, n) => n - 1);
            _byClient.TryRemove(new KeyValuePair<string, int>(client, 0));
        }
    }

    static Task Refuse(HttpContext ctx, int status, string message, string code)
    {
        ctx.Response.Headers.RetryAfter = ServerOptions.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return OpenAiServerJson.WriteAsync(ctx, status, OpenAiProtocol.Error(message, "server_error", code: code));
    }
}

/// <summary>Reads a request body whole: at most a size, within a time, and valid UTF-8 (else 413, 408 or 400).</summary>
static class RequestBody
{
    public static async Task<byte[]> ReadAsync(HttpContext ctx, long maxBytes, TimeSpan timeout)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted);
        deadline.CancelAfter(timeout);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        try
        {
            int n;
            while ((n = await ctx.Request.Body.ReadAsync(chunk, deadline.Token)) > 0)
            {
                if (buffer.Length + n > maxBytes) throw new ProtocolError(413, $"request body over {maxBytes} bytes", code: "request_too_large");
                buffer.Write(chunk, 0, n);
            }
        }
        catch (OperationCanceledException) when (!ctx.RequestAborted.IsCancellationRequested)
        {
            throw new ProtocolError(408, $"the request body did not arrive within {timeout.TotalSeconds:0} s", code: "request_timeout");
        }
        catch (BadHttpRequestException e) when (e.StatusCode == 413) { throw new ProtocolError(413, $"request body over {maxBytes} bytes", code: "request_too_large"); }
        catch (BadHttpRequestException e) { throw new ProtocolError(e.StatusCode, e.Message, code: "bad_request"); }
        var bytes = buffer.ToArray();
        if (!System.Text.Unicode.Utf8.IsValid(bytes)) throw new ProtocolError(400, "the request body is not valid UTF-8", code: "invalid_encoding");
        return bytes;
    }
}


static class OpenAiServerJson
{
    public static async Task WriteAsync(HttpContext ctx, int status, JsonObject body)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        try { await ctx.Response.WriteAsync(body.ToJsonString(), Encoding.UTF8, ctx.RequestAborted); }
        catch (OperationCanceledException) { }
    }
}
