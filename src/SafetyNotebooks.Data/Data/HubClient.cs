using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;

namespace SafetyNotebooks.Data;

/// <summary>A file to fetch: its path in the repo and its sha256 when known (from the manifest or the Hub's LFS pointer).</summary>
public sealed record HubFile(string Path, string? Sha256, long? Bytes);

/// <summary>What happened to one file: <c>cached</c>, <c>downloaded</c>, <c>resumed</c>, <c>ok</c>, <c>missing</c> or <c>mismatch</c>.</summary>
public sealed record HubFileStatus(string Path, string Status, string? LocalPath, string? Sha256, long Bytes);

/// <summary>Hub settings taken from the environment: HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE and the cache.</summary>
public sealed record HubSettings(string Endpoint, string? Token, bool Offline, HfCache Cache)
{
    public const string DefaultEndpoint = "https://huggingface.co";

    public static HubSettings FromEnvironment(Func<string, string?>? env = null)
    {
        env ??= Environment.GetEnvironmentVariable;
        var offline = env("HF_HUB_OFFLINE") is { } o && (o == "1" || o.Equals("true", StringComparison.OrdinalIgnoreCase) || o.Equals("yes", StringComparison.OrdinalIgnoreCase));
        var token = env("HF_TOKEN") is { Length: > 0 } t ? t : null;
        return new HubSettings((env("HF_ENDPOINT") is { Length: > 0 } e ? e : DefaultEndpoint).TrimEnd('/'), token, offline, HfCache.FromEnvironment(env));
    }

    /// <summary>Never shows the token.</summary>
    public override string ToString() => $"HubSettings {{ Endpoint = {Endpoint}, Token = {(Token is null ? "unset" : "set")}, Offline = {Offline}, Cache = {Cache.Root} }}";
}

/// <summary>
/// Downloads manifest files into the Hugging Face cache layout (<see cref="HfCache"/>) from HF_ENDPOINT:
/// resumable (HTTP Range into <c>blobs/…incomplete</c>), sha256-checked, with HF_TOKEN sent as a bearer token and
/// never printed. Offline (HF_HUB_OFFLINE=1) or unreachable, it names the missing files and the
/// <c>huggingface-cli download</c> command that gets them.
/// </summary>
public sealed class HubClient(HubSettings settings, HttpMessageHandler? handler = null) : IDisposable
{
    readonly HttpClient _http = new(handler ?? new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.None }, disposeHandler: true)
    {
        Timeout = TimeSpan.FromMinutes(30),
    };

    public HubSettings Settings => settings;

    public void Dispose() => _http.Dispose();

    string RepoUrlPart(Manifest m) => (m.Kind == Manifest.ModelKind ? "" : "datasets/") + m.RepoId;

    /// <summary>The exact command that downloads the same files with the Python client.</summary>
    public static string CliCommand(Manifest m, string? config) =>
        $"huggingface-cli download {m.RepoId}{(m.Kind == Manifest.DatasetKind ? " --repo-type dataset" : "")} --revision {m.EffectiveRevision}" +
        string.Concat((config is null ? m.Configs.SelectMany(c => c.Include) : m.Config(config).Include).Select(p => $" --include '{p}'"));

    /// <summary>Fetches every file of a manifest (or of one config) into the cache; files already cached and intact are kept.</summary>
    public async Task<IReadOnlyList<HubFileStatus>> FetchAsync(Manifest m, string? config = null, IProgress<double>? progress = null, CancellationToken ct = default)
    {
        var include = config is null ? m.Configs.SelectMany(c => c.Include).ToList() : m.Config(config).Include.ToList();
        var cache = settings.Cache;
        IReadOnlyList<HubFile> files;
        if (settings.Offline)
        {
            var cached = cache.CachedFiles(m.RepoId, m.Kind, m.EffectiveRevision, include);
            var expected = Explicit(m, config);
            var missing = expected.Select(f => f.Path).Except(cached).ToList();
            if (cached.Count == 0 || missing.Count > 0)
                throw Missing(m, config, missing.Count > 0 ? missing : include, "HF_HUB_OFFLINE is set");
            return cached.Select(p => new HubFileStatus(p, "cached", cache.FindFile(m.RepoId, m.Kind, m.EffectiveRevision, p), null, new FileInfo(cache.FindFile(m.RepoId, m.Kind, m.EffectiveRevision, p)!).Length)).ToList();
        }
        try
        {
            files = Explicit(m, config) is { Count: > 0 } ex ? ex : await ListAsync(m, include, ct);
        }
        catch (HttpRequestException e)
        {
            throw Missing(m, config, include, $"cannot reach {settings.Endpoint} ({e.Message})");
        }
        if (files.Count == 0) throw new BadInputException($"no files on {settings.Endpoint} match {string.Join(", ", include)}", m.RepoId);
        var results = new List<HubFileStatus>();
        for (var i = 0; i < files.Count; i++)
        {
            try
            {
                results.Add(await FetchFileAsync(m, files[i], ct));
            }
            catch (HttpRequestException e)
            {
                throw Missing(m, config, files.Skip(i).Select(f => f.Path).ToList(), $"cannot reach {settings.Endpoint} ({e.Message})");
            }
            catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
            {
                throw Missing(m, config, files.Skip(i).Select(f => f.Path).ToList(),
                    $"the download of {files[i].Path} was interrupted ({e.Message}); run the same fetch again to resume it");
            }
            progress?.Report((i + 1.0) / files.Count);
        }
        return results;
    }

    /// <summary>Checks the cached files of a manifest: present, and sha256 equal to the manifest's or to the blob's name.</summary>
    public static IReadOnlyList<HubFileStatus> Verify(Manifest m, HfCache cache, string? config = null)
    {
        var include = config is null ? m.Configs.SelectMany(c => c.Include).ToList() : m.Config(config).Include.ToList();
        var expected = Explicit(m, config).ToDictionary(f => f.Path, f => f.Sha256);
        var paths = cache.CachedFiles(m.RepoId, m.Kind, m.EffectiveRevision, include).Union(expected.Keys).Order(StringComparer.Ordinal);
        var list = new List<HubFileStatus>();
        foreach (var p in paths)
        {
            var local = cache.FindFile(m.RepoId, m.Kind, m.EffectiveRevision, p);
            if (local is null) { list.Add(new HubFileStatus(p, "missing", null, null, 0)); continue; }
            var sha = Sha256Of(local);
            // blobs are named by their sha256 for LFS files, which is every Parquet and safetensors file
            var blobName = new FileInfo(local).LinkTarget is { } target ? Path.GetFileName(target) : null;
            var want = expected.GetValueOrDefault(p) ?? (blobName is { Length: 64 } ? blobName : null);
            list.Add(new HubFileStatus(p, want is null || want == sha ? "ok" : "mismatch", local, sha, new FileInfo(local).Length));
        }
        return list;
    }

    static IReadOnlyList<HubFile> Explicit(Manifest m, string? config) =>
        (config is null ? m.Configs : [m.Config(config)]).SelectMany(c => c.Files ?? []).Select(f => new HubFile(f.Path, f.Sha256, f.Bytes)).ToList();

    BadInputException Missing(Manifest m, string? config, IReadOnlyList<string> files, string why) =>
        new($"{why}; missing: {string.Join(", ", files.Take(10))}{(files.Count > 10 ? $" (+{files.Count - 10} more)" : "")}. " +
            $"Get them with: {CliCommand(m, config)}  (files in {settings.Cache.Root} are used as they are)", m.RepoId);

    HttpRequestMessage Request(HttpMethod method, string url)
    {
        var r = new HttpRequestMessage(method, url);
        if (settings.Token is { } t) r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", t);
        r.Headers.UserAgent.ParseAdd($"safetynb/{Toolkit.Version}");
        return r;
    }

    async Task<IReadOnlyList<HubFile>> ListAsync(Manifest m, IReadOnlyList<string> include, CancellationToken ct)
    {
        var files = new List<HubFile>();
        string? url = $"{settings.Endpoint}/api/{(m.Kind == Manifest.ModelKind ? "models" : "datasets")}/{m.RepoId}/tree/{Uri.EscapeDataString(m.EffectiveRevision)}?recursive=true";
        while (url is not null)
        {
            using var response = await _http.SendAsync(Request(HttpMethod.Get, url), ct);
            Check(response, m, "listing");
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
            foreach (var e in doc.RootElement.EnumerateArray())
            {
                if (e.GetProperty("type").GetString() != "file") continue;
                var path = e.GetProperty("path").GetString()!;
                if (!Glob.MatchesAny(include, path)) continue;
                string? sha = e.TryGetProperty("lfs", out var lfs) && lfs.ValueKind == JsonValueKind.Object && lfs.TryGetProperty("oid", out var oid) ? oid.GetString() : null;
                long? size = e.TryGetProperty("size", out var s) && s.ValueKind == JsonValueKind.Number ? s.GetInt64() : null;
                files.Add(new HubFile(path, sha, size));
            }
            url = NextLink(response);
        }
        return files.OrderBy(f => f.Path, StringComparer.Ordinal).ToList();
    }

    static string? NextLink(HttpResponseMessage r) =>
        r.Headers.TryGetValues("Link", out var links)
            ? links.SelectMany(l => l.Split(',')).Select(l => l.Trim()).Where(l => l.Contains("rel=\"next\""))
                .Select(l => l[(l.IndexOf('<') + 1)..l.IndexOf('>')]).FirstOrDefault()
            : null;

    void Check(HttpResponseMessage r, Manifest m, string what)
    {
        if (r.IsSuccessStatusCode) return;
        var hint = r.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden
            ? settings.Token is null ? " (the repo may be gated: set HF_TOKEN)" : " (HF_TOKEN is set but was refused)"
            : "";
        throw new BadInputException($"{what} failed with HTTP {(int)r.StatusCode}{hint}", m.RepoId);
    }

    async Task<HubFileStatus> FetchFileAsync(Manifest m, HubFile file, CancellationToken ct)
    {
        var cache = settings.Cache;
        var repo = cache.RepoFolder(m.RepoId, m.Kind);
        if (cache.FindFile(m.RepoId, m.Kind, m.EffectiveRevision, file.Path) is { } existing
            && (file.Sha256 is null || Sha256Of(existing) == file.Sha256))
            return new HubFileStatus(file.Path, "cached", existing, file.Sha256, new FileInfo(existing).Length);

        var blobs = Path.Combine(repo, "blobs");
        Directory.CreateDirectory(blobs);
        var partial = Path.Combine(blobs, (file.Sha256 ?? Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(m.EffectiveRevision + "/" + file.Path)))) + ".incomplete");
        var url = $"{settings.Endpoint}/{RepoUrlPart(m)}/resolve/{Uri.EscapeDataString(m.EffectiveRevision)}/{string.Join('/', file.Path.Split('/').Select(Uri.EscapeDataString))}";
        var resumed = File.Exists(partial) ? new FileInfo(partial).Length : 0;
        using var request = Request(HttpMethod.Get, url);
        if (resumed > 0) request.Headers.Range = new RangeHeaderValue(resumed, null);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable) { File.Delete(partial); return await FetchFileAsync(m, file, ct); }
        Check(response, m, $"download of {file.Path}");
        var append = resumed > 0 && response.StatusCode == HttpStatusCode.PartialContent;
        await using (var body = await response.Content.ReadAsStreamAsync(ct))
        await using (var output = new FileStream(partial, append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20, useAsync: true))
            await body.CopyToAsync(output, 1 << 20, ct);

        var sha = Sha256Of(partial);
        if (file.Sha256 is { } want && want != sha)
        {
            File.Delete(partial);
            throw new BadInputException($"sha256 mismatch: expected {want}, got {sha}; the partial download was removed, run fetch again", url, file.Path);
        }
        var blob = Path.Combine(blobs, sha);
        File.Move(partial, blob, overwrite: true);
        var commit = HfCache.CommitName(response.Headers.TryGetValues("X-Repo-Commit", out var c) ? c.First() : m.EffectiveRevision, $"{url} (X-Repo-Commit)");
        var snapshot = Path.Combine(repo, "snapshots", commit);
        var link = SafePath.Combine(snapshot, file.Path, m.RepoId);
        Directory.CreateDirectory(Path.GetDirectoryName(link)!);
        if (File.Exists(link) || new FileInfo(link).LinkTarget is not null) File.Delete(link);
        File.CreateSymbolicLink(link, Path.GetRelativePath(Path.GetDirectoryName(link)!, blob));
        if (commit != m.EffectiveRevision)
        {
            Directory.CreateDirectory(Path.Combine(repo, "refs"));
            var refFile = SafePath.Combine(Path.Combine(repo, "refs"), m.EffectiveRevision, "revision");
            Directory.CreateDirectory(Path.GetDirectoryName(refFile)!);
            AtomicFile.WriteAllText(refFile, commit);
        }
        return new HubFileStatus(file.Path, append ? "resumed" : "downloaded", link, sha, new FileInfo(blob).Length);
    }

    /// <summary>Hex sha256 of a file (follows symlinks).</summary>
    public static string Sha256Of(string path)
    {
        using var s = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(s));
    }
}
