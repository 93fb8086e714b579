using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace SafetyNotebooks.Tests.Browser;

/// <summary>What a page did once loaded: console errors and uncaught exceptions, and the answers to DOM queries.</summary>
public sealed record PageVisit(string Url, IReadOnlyList<string> Errors, int ChartContainers, int ChartsDrawn, string Screenshot);

/// <summary>
/// Debian's headless Chromium driven over the DevTools protocol (a WebSocket; no browser download, no driver):
/// opens a file, records console errors and uncaught exceptions, waits until every chart container has drawn its SVG
/// (or a deadline passes), answers DOM queries and saves a full-page screenshot.
/// </summary>
public sealed class HeadlessChromium : IAsyncDisposable
{
    public const string Executable = "/usr/bin/chromium";

    readonly Process _process;
    readonly string _profile;
    readonly ClientWebSocket _socket = new();
    readonly Channel<JsonObject> _events = Channel.CreateUnbounded<JsonObject>();
    readonly Dictionary<int, TaskCompletionSource<JsonObject>> _pending = new();
    readonly List<string> _errors = new();
    readonly object _gate = new();
    Task? _reader;
    int _nextId;

    HeadlessChromium(Process process, string profile) => (_process, _profile) = (process, profile);

    public static bool Available => File.Exists(Executable);

    public static async Task<HeadlessChromium> StartAsync(CancellationToken ct = default)
    {
        var profile = Directory.CreateTempSubdirectory("snb-chromium-").FullName;
        var psi = new ProcessStartInfo(Executable)
        {
            RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false,
        };
        foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                     "--allow-file-access-from-files", "--hide-scrollbars", "--remote-debugging-port=0", $"--user-data-dir={profile}", "about:blank" })
            psi.ArgumentList.Add(a);
        var process = Process.Start(psi) ?? throw new InvalidOperationException("chromium did not start");
        var browser = new HeadlessChromium(process, profile);
        // Chromium prints "DevTools listening on ws://127.0.0.1:PORT/devtools/browser/ID" once it serves the protocol
        string? line;
        while ((line = await process.StandardError.ReadLineAsync(ct)) is not null && !line.StartsWith("DevTools listening on ", StringComparison.Ordinal)) { }
        if (line is null) throw new InvalidOperationException("chromium exited before serving the DevTools protocol");
        _ = process.StandardError.ReadToEndAsync(ct); // keep draining
        var port = new Uri(line["DevTools listening on ".Length..].Trim()).Port;
        using var http = new HttpClient();
        var targets = JsonNode.Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/json/list", ct))!.AsArray();
        var page = targets.First(t => t!["type"]!.GetValue<string>() == "page")!["webSocketDebuggerUrl"]!.GetValue<string>();
        browser._socket.Options.KeepAliveInterval = TimeSpan.Zero;
        await browser._socket.ConnectAsync(new Uri(page), ct);
        browser._reader = Task.Run(() => browser.ReadLoopAsync(CancellationToken.None));
        await browser.SendAsync("Runtime.enable", null, ct);
        await browser.SendAsync("Log.enable", null, ct);
        await browser.SendAsync("Page.enable", null, ct);
        return browser;
    }

    async Task ReadLoopAsync(CancellationToken ct)
    {
        var buffer = new byte[1 << 16];
        var message = new MemoryStream();
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                var r = await _socket.ReceiveAsync(buffer, ct);
                if (r.MessageType == WebSocketMessageType.Close) break;
                message.Write(buffer, 0, r.Count);
                if (!r.EndOfMessage) continue;
                var json = JsonNode.Parse(message.ToArray())!.AsObject();
                message.SetLength(0);
                if (json["id"] is { } id)
                {
                    TaskCompletionSource<JsonObject>? waiter;
                    lock (_gate) _pending.Remove(id.GetValue<int>(), out waiter);
                    waiter?.TrySetResult(json);
                }
                else OnEvent(json);
            }
        }
        catch (Exception) when (_socket.State != WebSocketState.Open) { }
        finally
        {
            lock (_gate) foreach (var w in _pending.Values) w.TrySetException(new IOException("the DevTools connection closed"));
            _events.Writer.TryComplete();
        }
    }

    void OnEvent(JsonObject e)
    {
        var method = e["method"]?.GetValue<string>();
        var p = e["params"];
        string? error = method switch
        {
            "Runtime.exceptionThrown" => "uncaught: " + (p?["exceptionDetails"]?["exception"]?["description"]?.GetValue<string>() ?? p?["exceptionDetails"]?["text"]?.GetValue<string>()),
            "Runtime.consoleAPICalled" when p?["type"]?.GetValue<string>() is "error" or "assert" =>
                "console." + p["type"] + ": " + string.Join(" ", p["args"]!.AsArray().Select(a => a?["value"]?.ToString() ?? a?["description"]?.ToString())),
            "Log.entryAdded" when p?["entry"]?["level"]?.GetValue<string>() == "error" => "log: " + p["entry"]!["text"] + " " + p["entry"]!["url"],
            _ => null,
        };
        if (error is not null) lock (_gate) _errors.Add(error);
        _events.Writer.TryWrite(e);
    }

    public async Task<JsonObject> SendAsync(string method, JsonObject? parameters, CancellationToken ct = default)
    {
        var id = Interlocked.Increment(ref _nextId);
        var waiter = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate) _pending[id] = waiter;
        var bytes = Encoding.UTF8.GetBytes(new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters ?? new JsonObject() }.ToJsonString());
        await _socket.SendAsync(bytes, WebSocketMessageType.Text, true, ct);
        var reply = await waiter.Task.WaitAsync(TimeSpan.FromSeconds(60), ct);
        if (reply["error"] is { } err) throw new InvalidOperationException($"{method}: {err.ToJsonString()}");
        return reply["result"]!.AsObject();
    }

    /// <summary>The value of a JavaScript expression (awaited if it is a promise).</summary>
    public async Task<JsonNode?> EvaluateAsync(string expression, CancellationToken ct = default)
    {
        var r = await SendAsync("Runtime.evaluate", new JsonObject { ["expression"] = expression, ["returnByValue"] = true, ["awaitPromise"] = true }, ct);
        if (r["exceptionDetails"] is { } ex) throw new InvalidOperationException($"{expression}: {ex.ToJsonString()}");
        return r["result"]?["value"];
    }

    /// <summary>
    /// Opens <paramref name="file"/>, waits for its load event and for its charts to draw (each <c>.snb-chart</c>
    /// container holding plotly's <c>svg.main-svg</c>), then screenshots the whole page to <paramref name="screenshot"/>.
    /// </summary>
    public async Task<PageVisit> VisitAsync(string file, string screenshot, TimeSpan chartDeadline, CancellationToken ct = default)
    {
        lock (_gate) _errors.Clear();
        while (_events.Reader.TryRead(out _)) { }
        var url = new Uri(Path.GetFullPath(file)).AbsoluteUri;
        await SendAsync("Emulation.setDeviceMetricsOverride", new JsonObject { ["width"] = 1200, ["height"] = 900, ["deviceScaleFactor"] = 1, ["mobile"] = false }, ct);
        await SendAsync("Page.navigate", new JsonObject { ["url"] = url }, ct);
        await foreach (var e in _events.Reader.ReadAllAsync(ct))
            if (e["method"]?.GetValue<string>() == "Page.loadEventFired") break;
        // charts draw from scripts (some after an asynchronous decompression): wait on the page's own promise of them
        const string chartsDrawn = "document.querySelectorAll('.snb-chart').length === document.querySelectorAll('.snb-chart svg.main-svg').length";
        await EvaluateAsync($$"""
            new Promise(resolve => {
              const done = () => {{chartsDrawn}};
              if (done()) return resolve(true);
              const observer = new MutationObserver(() => { if (done()) { observer.disconnect(); resolve(true); } });
              observer.observe(document.body, { childList: true, subtree: true });
              setTimeout(() => { observer.disconnect(); resolve(done()); }, {{(int)chartDeadline.TotalMilliseconds}});
            })
            """, ct);
        var containers = (await EvaluateAsync("document.querySelectorAll('.snb-chart, .js-plotly-plot').length", ct))!.GetValue<int>();
        var drawn = (await EvaluateAsync("[...document.querySelectorAll('.snb-chart, .js-plotly-plot')].filter(d => d.querySelector('svg.main-svg')).length", ct))!.GetValue<int>();
        var height = (await EvaluateAsync("Math.min(12000, Math.ceil(document.documentElement.scrollHeight))", ct))!.GetValue<int>();
        await SendAsync("Emulation.setDeviceMetricsOverride", new JsonObject { ["width"] = 1200, ["height"] = height, ["deviceScaleFactor"] = 1, ["mobile"] = false }, ct);
        var shot = await SendAsync("Page.captureScreenshot", new JsonObject { ["format"] = "png" }, ct);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(screenshot))!);
        await File.WriteAllBytesAsync(screenshot, Convert.FromBase64String(shot["data"]!.GetValue<string>()), ct);
        List<string> errors;
        lock (_gate) errors = _errors.ToList();
        return new PageVisit(url, errors, containers, drawn, screenshot);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_socket.State == WebSocketState.Open)
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception) { }
        _socket.Dispose();
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        if (_reader is not null) await _reader.WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { });
        _process.Dispose();
        try { Directory.Delete(_profile, recursive: true); } catch (IOException) { }
    }
}
