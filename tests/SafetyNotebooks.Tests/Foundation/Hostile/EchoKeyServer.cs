using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace SafetyNotebooks.Tests.Foundation.Hostile;

/// <summary>
/// A hostile OpenAI-compatible endpoint on loopback port 0: it echoes the request's Authorization header, either in a
/// 401 error body or inside a 200 chat completion (after <paramref name="answerPrefix"/>).
/// </summary>
public sealed class EchoKeyServer : IAsyncDisposable
{
    readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    readonly CancellationTokenSource _stop = new();
    readonly Task _loop;
    readonly Func<string, string> _answer;
    int _requests;

    public string Url { get; }
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>The status of every answer from now on (200: a completion; anything else: an error body).</summary>
    public int Status { get; set; }

    public EchoKeyServer(int status, Func<string, string>? answer = null)
    {
        Status = status;
        _answer = answer ?? (auth => $"Echo: {auth}");
        _listener.Start();
        Url = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/v1";
        _loop = Task.Run(AcceptAsync);
    }

    async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        var stream = client.GetStream();
        try
        {
            while (await ReadRequestAsync(stream) is { } auth)
            {
                Interlocked.Increment(ref _requests);
                var body = Status == 200 ? Completion(_answer(auth)) : Error(auth);
                var bytes = Encoding.UTF8.GetBytes(body);
                var head = $"HTTP/1.1 {Status} {(Status == 200 ? "OK" : Status == 401 ? "Unauthorized" : "Error")}\r\nContent-Type: application/json\r\nContent-Length: {bytes.Length}\r\n\r\n";
                await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
                await stream.WriteAsync(bytes);
            }
        }
        catch (IOException) { }
    }

    /// <summary>Reads one request and returns its Authorization header ("" when absent), or null at end of stream.</summary>
    static async Task<string?> ReadRequestAsync(NetworkStream stream)
    {
        var head = new List<byte>();
        var one = new byte[1];
        while (!EndsWithBlankLine(head))
        {
            if (await stream.ReadAsync(one) == 0) return null;
            head.Add(one[0]);
        }
        var lines = Encoding.ASCII.GetString(head.ToArray()).Split("\r\n");
        string Header(string name) => lines.FirstOrDefault(l => l.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase))?[(name.Length + 1)..].Trim() ?? "";
        var length = int.TryParse(Header("Content-Length"), out var n) ? n : 0;
        var body = new byte[length];
        await stream.ReadExactlyAsync(body);
        return Header("Authorization");
    }

    static bool EndsWithBlankLine(List<byte> b) => b.Count >= 4 && b[^4] == '\r' && b[^3] == '\n' && b[^2] == '\r' && b[^1] == '\n';

    static string Error(string auth) => new JsonObject
    {
        ["error"] = new JsonObject { ["message"] = $"Incorrect API key provided: {auth}", ["type"] = "invalid_request_error", ["code"] = "invalid_api_key" },
    }.ToJsonString();

    static string Completion(string content) => new JsonObject
    {
        ["id"] = "cmpl-1", ["object"] = "chat.completion", ["created"] = 0, ["model"] = "m",
        ["choices"] = new JsonArray(new JsonObject
        {
            ["index"] = 0, ["finish_reason"] = "stop",
            ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = content },
        }),
        ["usage"] = new JsonObject { ["prompt_tokens"] = 1, ["completion_tokens"] = 1, ["total_tokens"] = 2 },
    }.ToJsonString();

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        try { await _loop; } catch (Exception) { }
        _stop.Dispose();
    }
}
