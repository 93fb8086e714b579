using System.Net;
using System.Text;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using SafetyNotebooks.Data.Toy;
using SafetyNotebooks.Serving;
using SafetyNotebooks.Synthesis;
using SafetyNotebooks.Tests.Foundation.Hostile;

namespace SafetyNotebooks.Tests.Serving;

/// <summary>Damaged request bodies get a 4xx answer from the server, never 500 and never silence.</summary>
public sealed class RequestFuzzTests : IAsyncLifetime
{
    static readonly byte[] Valid = Encoding.UTF8.GetBytes("""{"model": "toy-world", "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hello there"}], "max_tokens": 8, "temperature": 0.5, "stream": false}""");
    RunningServer? _server;
    readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(20) };

    public async Task InitializeAsync() =>
        _server = await OpenAiServer.StartAsync(new ChatClientBackend(new ToyWorldChatClient(ToyWorld.Corpus(20, new ToyOptions(1))), ToyWorldChatClient.ModelName),
            new ServerOptions(Port: 0, MaxConnections: 256, MaxPerClient: 256));

    public async Task DisposeAsync()
    {
        _http.Dispose();
        if (_server is not null) await _server.DisposeAsync();
    }

    [Property(MaxTest = 80)]
    public Property Damaged_bodies_are_answered_with_200_or_4xx() =>
        Prop.ForAll(Fuzz.Damages(Valid.Length), damage =>
        {
            var body = new ByteArrayContent(damage.Apply(Valid));
            body.Headers.ContentType = new("application/json");
            using var r = _http.PostAsync(_server!.BaseUrl + "/chat/completions", body).GetAwaiter().GetResult();
            var code = (int)r.StatusCode;
            var text = r.Content.ReadAsStringAsync().GetAwaiter().GetResult();
            var json = code == 200 || IsErrorJson(text);
            return (code is 200 or >= 400 and < 500 && json).Label($"{damage}: {code} {text}");
        });

    static bool IsErrorJson(string text)
    {
        try { return JsonDocument.Parse(text).RootElement.TryGetProperty("error", out _); }
        catch (JsonException) { return false; }
    }

    [Property(MaxTest = 200)]
    public Property The_protocol_parser_only_refuses_with_protocol_errors() =>
        Prop.ForAll(Fuzz.Damages(Valid.Length), damage =>
        {
            var ok = Fuzz.OnlyRefuses<ProtocolError>(() =>
            {
                var bytes = damage.Apply(Valid);
                if (!System.Text.Unicode.Utf8.IsValid(bytes)) return Task.CompletedTask; // the server answers 400 before parsing
                JsonDocument doc;
                try { doc = JsonDocument.Parse(bytes); }
                catch (JsonException) { return Task.CompletedTask; } // the server answers 400 before the parser sees it
                using (doc) OpenAiProtocol.ParseChat(doc.RootElement, new OpenAiProtocol.Limits());
                return Task.CompletedTask;
            }, out var problem);
            return ok.Label($"{damage}: {problem}");
        });
}
