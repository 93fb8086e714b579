using System.Net;
using System.Net.Sockets;
using System.Text;
using SafetyNotebooks.Data;
using SafetyNotebooks.Data.Toy;
using SafetyNotebooks.Serving;
using SafetyNotebooks.Synthesis;

namespace SafetyNotebooks.Tests.Serving;

/// <summary>The server under hostile clients on loopback: bad bytes, floods and slow-loris (issue 19). Bounded in count and time.</summary>
public sealed class HostileClientTests
{
    static readonly List<Document> Corpus = ToyWorld.Corpus(30, new ToyOptions(4)).ToList();

    static Task<RunningServer> Start(ServerOptions? o = null) =>
        OpenAiServer.StartAsync(new ChatClientBackend(new ToyWorldChatClient(Corpus), ToyWorldChatClient.ModelName), o ?? new ServerOptions(Port: 0));

    const string Chat = """{"messages": [{"role": "user", "content": "hello"}], "max_tokens": 8}""";

    static async Task<HttpResponseMessage> Post(HttpClient http, string url, byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");
        return await http.PostAsync(url + "/chat/completions", content);
    }

    [Theory]
    [InlineData(new byte[] { 0xC3, 0x28 })]
    [InlineData(new byte[] { 0xFF, 0xFE, 0xFD })]
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })] // an encoded surrogate
    public async Task Invalid_utf8_in_a_string_is_400(byte[] bad)
    {
        await using var server = await Start();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
        var body = Encoding.UTF8.GetBytes("""{"messages": [{"role": "user", "content": "x""").Concat(bad).Concat(Encoding.UTF8.GetBytes("\"}]}")).ToArray();
        using var r = await Post(http, server.BaseUrl, body);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Contains("UTF-8", await r.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Two_hundred_connections_at_once_all_get_an_http_answer()
    {
        await using var server = await Start(new ServerOptions(Port: 0, MaxConnections: 16, MaxPerClient: 16, QueueTimeout: TimeSpan.FromSeconds(20)));
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 200 };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(60) };
        var body = Encoding.UTF8.GetBytes(Chat);
        var answers = await Task.WhenAll(Enumerable.Range(0, 200).Select(async _ =>
        {
            using var r = await Post(http, server.BaseUrl, body);
            return (r.StatusCode, RetryAfter: r.Headers.RetryAfter?.Delta);
        }));
        Assert.All(answers, a => Assert.True(a.StatusCode is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests, a.StatusCode.ToString()));
        Assert.All(answers.Where(a => a.StatusCode != HttpStatusCode.OK), a => Assert.Equal(TimeSpan.FromSeconds(ServerOptions.RetryAfterSeconds), a.RetryAfter));
        Assert.Contains(answers, a => a.StatusCode == HttpStatusCode.OK);
    }

    [Fact]
    public async Task Slow_loris_connections_do_not_starve_normal_clients()
    {
        await using var server = await Start(new ServerOptions(Port: 0, HeaderTimeout: TimeSpan.FromSeconds(3)));
        var port = new Uri(server.BaseUrl).Port;
        using var stop = new CancellationTokenSource();
        var connected = Enumerable.Range(0, 100).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToList();
        var loris = connected.Select(c => SlowLoris(port, stop.Token, c)).ToList();
        // every slow client holds an open, unfinished request before the normal clients start (or has been refused)
        await Task.WhenAll(connected.Select(c => c.Task)).WaitAsync(TimeSpan.FromSeconds(60));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
        var body = Encoding.UTF8.GetBytes(Chat);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var served = await Task.WhenAll(Enumerable.Range(0, 20).Select(async _ =>
        {
            using var r = await Post(http, server.BaseUrl, body);
            return r.StatusCode;
        }));
        Assert.All(served, s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"20 normal requests took {clock.Elapsed}");
        stop.Cancel();
        await Task.WhenAll(loris);
    }

    /// <summary>Sends a request line and then one header byte a second, never finishing the headers.</summary>
    static async Task SlowLoris(int port, CancellationToken stop, TaskCompletionSource connected)
    {
        using var tcp = new TcpClient();
        try
        {
            await tcp.ConnectAsync(IPAddress.Loopback, port, stop);
            var s = tcp.GetStream();
            await s.WriteAsync(Encoding.ASCII.GetBytes("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"), stop);
            connected.TrySetResult();
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(1000, stop);
                await s.WriteAsync("X"u8.ToArray(), stop);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException) { }
        finally { connected.TrySetResult(); } // a refused or dropped client counts as settled
    }

    [Fact]
    public async Task A_body_that_never_arrives_gets_408_within_the_body_timeout()
    {
        await using var server = await Start(new ServerOptions(Port: 0, BodyTimeout: TimeSpan.FromSeconds(1)));
        var port = new Uri(server.BaseUrl).Port;
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        var s = tcp.GetStream();
        await s.WriteAsync(Encoding.ASCII.GetBytes("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"mess"));
        var reply = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var n = await s.ReadAsync(reply, timeout.Token);
        var head = Encoding.ASCII.GetString(reply, 0, n);
        Assert.True(head.StartsWith("HTTP/1.1 408", StringComparison.Ordinal) || head.StartsWith("HTTP/1.1 400", StringComparison.Ordinal), head);
    }

    [Fact]
    public async Task Limits_out_of_range_are_refused_at_start()
    {
        await Assert.ThrowsAsync<BadInputException>(() => Start(new ServerOptions(Port: 0, MaxBodyBytes: -1)));
        await Assert.ThrowsAsync<BadInputException>(() => Start(new ServerOptions(Port: 0, MaxConnections: 0)));
    }
}
