using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using SafetyNotebooks.Data;

namespace SafetyNotebooks.Tests.Data;

/// <summary>A tiny Hub on 127.0.0.1: <c>/api/datasets/{repo}/tree/{rev}</c> and <c>/datasets/{repo}/resolve/{rev}/{path}</c> with Range support.</summary>
sealed class FakeHub : IDisposable
{
    readonly HttpListener _listener;
    readonly Dictionary<string, byte[]> _files;
    public string Endpoint { get; }
    public List<(string Url, string? Range, string? Auth)> Requests { get; } = [];
    public Func<string, byte[], byte[]>? Tamper { get; set; }
    /// <summary>Stop sending after this many bytes of a body (simulates a dropped connection).</summary>
    public int? CutAfter { get; set; }

    public FakeHub(string repo, Dictionary<string, byte[]> files, string commit)
    {
        _files = files;
        (_listener, Endpoint) = Listen();
        _ = Task.Run(async () =>
        {
            while (_listener.IsListening)
            {
                HttpListenerContext ctx;
                try { ctx = await _listener.GetContextAsync(); } catch { return; }
                try { Serve(ctx, repo, commit); } catch { /* client went away */ } finally { try { ctx.Response.Close(); } catch { } }
            }
        });
    }

    void Serve(HttpListenerContext ctx, string repo, string commit)
    {
        var path = Uri.UnescapeDataString(ctx.Request.Url!.AbsolutePath);
        lock (Requests) Requests.Add((path, ctx.Request.Headers["Range"], ctx.Request.Headers["Authorization"]));
        if (path.StartsWith($"/api/datasets/{repo}/tree/"))
        {
            var list = new JsonArray(_files.Select(f => (JsonNode)new JsonObject
            {
                ["type"] = "file", ["path"] = f.Key, ["size"] = f.Value.Length,
                ["lfs"] = new JsonObject { ["oid"] = Convert.ToHexStringLower(SHA256.HashData(f.Value)), ["size"] = f.Value.Length },
            }).ToArray());
            var body = System.Text.Encoding.UTF8.GetBytes(list.ToJsonString());
            ctx.Response.ContentType = "application/json";
            ctx.Response.OutputStream.Write(body);
            return;
        }
        var prefix = $"/datasets/{repo}/resolve/";
        if (!path.StartsWith(prefix)) { ctx.Response.StatusCode = 404; return; }
        var rest = path[prefix.Length..];
        var file = rest[(rest.IndexOf('/') + 1)..];
        if (!_files.TryGetValue(file, out var bytes)) { ctx.Response.StatusCode = 404; return; }
        if (Tamper is { } t) bytes = t(file, bytes);
        ctx.Response.Headers["X-Repo-Commit"] = commit;
        var start = 0;
        if (ctx.Request.Headers["Range"] is { } range && range.StartsWith("bytes="))
        {
            start = int.Parse(range["bytes=".Length..].TrimEnd('-'));
            ctx.Response.StatusCode = 206;
            ctx.Response.Headers["Content-Range"] = $"bytes {start}-{bytes.Length - 1}/{bytes.Length}";
        }
        var send = bytes[start..];
        if (CutAfter is { } cut && send.Length > cut)
        {
            ctx.Response.ContentLength64 = send.Length;
            ctx.Response.OutputStream.Write(send, 0, cut);
            ctx.Response.OutputStream.Flush();
            ctx.Response.Abort();
            return;
        }
        ctx.Response.ContentLength64 = send.Length;
        ctx.Response.OutputStream.Write(send);
    }

    // HttpListener cannot bind port 0: take a port the system just handed out and bind it, and when another process
    // took it in between (the machine is shared), try the next one, rather than failing the test
    static (HttpListener Listener, string Endpoint) Listen()
    {
        for (var attempt = 1; ; attempt++)
        {
            var endpoint = $"http://127.0.0.1:{FreePort()}";
            var listener = new HttpListener();
            listener.Prefixes.Add(endpoint + "/");
            try
            {
                listener.Start();
                return (listener, endpoint);
            }
            catch (HttpListenerException) when (attempt < 20) { listener.Close(); }
        }
    }

    static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public void Dispose() => _listener.Close();
}

public class HubTests
{
    const string Commit = "0123456789abcdef0123456789abcdef01234567";

    static Manifest Refuseweb => Manifests.Find("refuseweb");

    static Dictionary<string, byte[]> Files() => new()
    {
        ["score_4_refusal/train/0000.parquet"] = Enumerable.Range(0, 300_000).Select(i => (byte)(i * 7)).ToArray(),
        ["score_4_refusal/train/0001.parquet"] = Enumerable.Range(0, 1000).Select(i => (byte)i).ToArray(),
        ["score_5_refusal/train/0000.parquet"] = [1, 2, 3],
        ["README.md"] = "# card"u8.ToArray(),
    };

    static HubSettings Settings(string endpoint, string cache, string? token = null, bool offline = false) =>
        new(endpoint, token, offline, new HfCache(cache));

    [Fact]
    public void Every_manifest_passes_the_json_schema_and_names_resolve()
    {
        var schema = JsonSchema.FromText(Manifests.SchemaText);
        var dir = Path.Combine(Foundation.TestDirs.RepoRoot(), "data-manifests");
        var files = Directory.GetFiles(dir, "*.json").Where(f => !f.EndsWith(".schema.json")).ToList();
        Assert.True(files.Count >= 14);
        foreach (var f in files)
        {
            var result = schema.Evaluate(JsonDocument.Parse(File.ReadAllText(f)).RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
            Assert.True(result.IsValid, $"{f}: {string.Join("; ", (result.Details ?? []).Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation} {e.Value}")))}");
        }
        Assert.Equal(files.Count, Manifests.All.Count);
        Assert.Same(Manifests.Find("locuslab/refuseweb"), Manifests.Find("refuseweb"));
        Assert.Equal(990, Manifests.Find("jb-completions").Rows);
        // the schema rejects what it should
        var bad = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "refuseweb.json")))!;
        bad["kind"] = "spreadsheet";
        Assert.False(schema.Evaluate(JsonDocument.Parse(bad.ToJsonString()).RootElement).IsValid);
        Assert.Throws<BadInputException>(() => Manifests.Find("no-such-dataset"));
    }

    [Fact]
    public void Cache_resolves_hf_home_hub_cache_refs_and_short_commits()
    {
        var home = Foundation.TestDirs.Fresh();
        Assert.Equal(Path.Combine(home, "hub"), HfCache.FromEnvironment(v => v == "HF_HOME" ? home : null).Root);
        Assert.Equal("/x/y", HfCache.FromEnvironment(v => v switch { "HF_HUB_CACHE" => "/x/y", "HF_HOME" => home, _ => null }).Root);
        var cache = new HfCache(Path.Combine(home, "hub"));
        var repo = cache.RepoFolder("locuslab/refuseweb", "dataset");
        Assert.EndsWith("datasets--locuslab--refuseweb", repo);
        var file = Path.Combine(repo, "snapshots", Commit, "score_4_refusal", "train", "0000.parquet");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, "x");
        Directory.CreateDirectory(Path.Combine(repo, "refs"));
        File.WriteAllText(Path.Combine(repo, "refs", "main"), Commit);
        Assert.Equal(file, cache.FindFile("locuslab/refuseweb", "dataset", "main", "score_4_refusal/train/0000.parquet"));
        Assert.Equal(file, cache.FindFile("locuslab/refuseweb", "dataset", "0123456", "score_4_refusal/train/0000.parquet"));
        Assert.Null(cache.FindFile("locuslab/refuseweb", "dataset", "main", "score_5_refusal/train/0000.parquet"));
        Assert.Equal(["score_4_refusal/train/0000.parquet"], cache.CachedFiles("locuslab/refuseweb", "dataset", "main", ["score_4_refusal/**"]));
        Assert.EndsWith("models--locuslab--safelm-1.7b", cache.RepoFolder("locuslab/safelm-1.7b", "model"));
        Assert.Throws<BadInputException>(() => cache.FindFile("locuslab/refuseweb", "dataset", "main", "../../../etc/passwd"));
    }

    [Fact]
    public async Task Fetch_downloads_into_the_cache_layout_with_checksums_and_the_token()
    {
        using var hub = new FakeHub("locuslab/refuseweb", Files(), Commit);
        var cache = Path.Combine(Foundation.TestDirs.Fresh(), "hub");
        using var client = new HubClient(Settings(hub.Endpoint, cache, token: "hf_secret_token"));
        var result = await client.FetchAsync(Refuseweb, "score_4_refusal");
        Assert.Equal(["score_4_refusal/train/0000.parquet", "score_4_refusal/train/0001.parquet"], result.Select(r => r.Path));
        Assert.All(result, r => Assert.Equal("downloaded", r.Status));
        var local = new HfCache(cache).FindFile("locuslab/refuseweb", "dataset", "a2cb2e1", "score_4_refusal/train/0001.parquet")!;
        Assert.Contains(Path.Combine("snapshots", Commit), local);
        Assert.Equal(Files()["score_4_refusal/train/0001.parquet"], File.ReadAllBytes(local));
        Assert.NotNull(new FileInfo(local).LinkTarget); // snapshot entries link to blobs/SHA256, like huggingface_hub
        Assert.All(hub.Requests, r => Assert.Equal("Bearer hf_secret_token", r.Auth));
        Assert.Contains(hub.Requests, r => r.Url == "/datasets/locuslab/refuseweb/resolve/a2cb2e1/score_4_refusal/train/0000.parquet");
        // second fetch: nothing downloaded again; verify agrees
        var before = hub.Requests.Count(r => r.Url.Contains("/resolve/"));
        Assert.All(await client.FetchAsync(Refuseweb, "score_4_refusal"), r => Assert.Equal("cached", r.Status));
        Assert.Equal(before, hub.Requests.Count(r => r.Url.Contains("/resolve/")));
        Assert.All(HubClient.Verify(Refuseweb, new HfCache(cache), "score_4_refusal"), r => Assert.Equal("ok", r.Status));
        Assert.DoesNotContain("hf_secret_token", client.Settings.ToString());
    }

    [Fact]
    public async Task An_interrupted_download_resumes_with_a_range_request()
    {
        using var hub = new FakeHub("locuslab/refuseweb", Files(), Commit) { CutAfter = 100_000 };
        var cache = Path.Combine(Foundation.TestDirs.Fresh(), "hub");
        using var client = new HubClient(Settings(hub.Endpoint, cache));
        var cut = await Assert.ThrowsAsync<BadInputException>(() => client.FetchAsync(Refuseweb, "score_4_refusal"));
        Assert.Contains("run the same fetch again", cut.Message);
        var partial = Directory.GetFiles(Path.Combine(cache, "datasets--locuslab--refuseweb", "blobs"), "*.incomplete").Single();
        Assert.InRange(new FileInfo(partial).Length, 1, 299_999);
        hub.CutAfter = null;
        var result = await client.FetchAsync(Refuseweb, "score_4_refusal");
        Assert.Equal("resumed", result[0].Status);
        Assert.Contains(hub.Requests, r => r.Range is { } range && range.StartsWith("bytes=") && range != "bytes=0-");
        Assert.Equal(Files()["score_4_refusal/train/0000.parquet"], File.ReadAllBytes(result[0].LocalPath!));
        Assert.Empty(Directory.GetFiles(Path.Combine(cache, "datasets--locuslab--refuseweb", "blobs"), "*.incomplete"));
    }

    [Fact]
    public async Task A_checksum_mismatch_is_bad_input_and_leaves_nothing_in_the_snapshot()
    {
        using var hub = new FakeHub("locuslab/refuseweb", Files(), Commit) { Tamper = (_, b) => b.Select(x => (byte)(x ^ 1)).ToArray() };
        var cache = Path.Combine(Foundation.TestDirs.Fresh(), "hub");
        using var client = new HubClient(Settings(hub.Endpoint, cache));
        var e = await Assert.ThrowsAsync<BadInputException>(() => client.FetchAsync(Refuseweb, "score_5_refusal"));
        Assert.Contains("sha256 mismatch", e.Message);
        Assert.Null(new HfCache(cache).Snapshot("locuslab/refuseweb", "dataset", "a2cb2e1"));
        Assert.Empty(Directory.GetFiles(Path.Combine(cache, "datasets--locuslab--refuseweb", "blobs")));
    }

    [Fact]
    public async Task Offline_or_unreachable_names_the_missing_files_and_the_cli_command()
    {
        var cache = Path.Combine(Foundation.TestDirs.Fresh(), "hub");
        using var offline = new HubClient(Settings("http://127.0.0.1:9", cache, offline: true));
        var e = await Assert.ThrowsAsync<BadInputException>(() => offline.FetchAsync(Manifests.Find("safety_data")));
        Assert.Contains("4chan.parquet", e.Message);
        Assert.Contains("huggingface-cli download locuslab/safety_data --repo-type dataset --revision main --include '*.parquet'", e.Message);
        using var down = new HubClient(Settings("http://127.0.0.1:9", cache, token: "hf_secret_token"));
        var e2 = await Assert.ThrowsAsync<BadInputException>(() => down.FetchAsync(Refuseweb, "score_4_refusal"));
        Assert.Contains("cannot reach http://127.0.0.1:9", e2.Message);
        Assert.Contains("--include 'score_4_refusal/**'", e2.Message);
        Assert.DoesNotContain("hf_secret_token", e2.Message);
    }

    [Fact]
    public async Task Cli_fetch_offline_is_exit_2_with_the_command_and_list_describe_work()
    {
        var cache = Path.Combine(Foundation.TestDirs.Fresh(), "hub");
        Environment.SetEnvironmentVariable("HF_HUB_CACHE", cache);
        Environment.SetEnvironmentVariable("HF_HUB_OFFLINE", "1");
        try
        {
            var r = await Foundation.CliRunner.RunAsync("data", "fetch", "locuslab/jb-completions");
            Assert.Equal(2, r.Code);
            Assert.Contains("huggingface-cli download locuslab/jb-completions --repo-type dataset", r.Err);
            var list = await Foundation.CliRunner.RunAsync("data", "list", "--json");
            Assert.Equal(0, list.Code);
            Assert.Contains("\"repo_id\":\"locuslab/refuseweb\"", list.Out);
            var describe = await Foundation.CliRunner.RunAsync("data", "describe", "refuseweb");
            Assert.Contains("score_4_refusal", describe.Out);
            Assert.Equal(2, (await Foundation.CliRunner.RunAsync("data", "describe", "nope")).Code);
            Assert.Equal(2, (await Foundation.CliRunner.RunAsync("data", "verify", "refuseweb")).Code);
        }
        finally
        {
            Environment.SetEnvironmentVariable("HF_HUB_CACHE", null);
            Environment.SetEnvironmentVariable("HF_HUB_OFFLINE", null);
        }
    }
}
