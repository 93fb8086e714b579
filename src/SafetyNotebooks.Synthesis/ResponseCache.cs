using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace SafetyNotebooks.Synthesis;

/// <summary>The cache key of a generation: a hash of the full prompt and decoding settings, and the model name.</summary>
public sealed record CacheKey(string PromptHash, string Model)
{
    public static CacheKey For(SynthesisPrompt prompt, string model, GenerationSettings settings)
    {
        var text = $"{prompt.System}\u0000{prompt.User}\u0000{settings.Temperature:R}\u0000{settings.MaxOutputTokens}\u0000{settings.Seed}";
        return new CacheKey(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text))), model);
    }
}

/// <summary>
/// Generations already paid for, keyed by (prompt hash, model), in an append-only JSON-lines file so a crashed or
/// repeated run never asks the model twice. A torn last line (a kill mid-write) is ignored on load.
/// </summary>
public sealed class ResponseCache : IDisposable
{
    sealed record Entry(string PromptHash, string Model, string Text);

    readonly ConcurrentDictionary<CacheKey, string> _entries = new();
    readonly StreamWriter? _writer;
    readonly object _gate = new();

    public string? Path { get; }

    ResponseCache(string? path)
    {
        Path = path;
        if (path is null) return;
        if (File.Exists(path))
            foreach (var line in File.ReadLines(path))
            {
                try
                {
                    if (JsonSerializer.Deserialize<Entry>(line) is { } e) _entries[new CacheKey(e.PromptHash, e.Model)] = e.Text;
                }
                catch (JsonException) { }
            }
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        _writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read), new UTF8Encoding(false));
    }

    /// <summary>A cache persisted at <paramref name="path"/>.</summary>
    public static ResponseCache Open(string path) => new(path);

    /// <summary>A cache that lives only in memory.</summary>
    public static ResponseCache InMemory() => new(null);

    public int Count => _entries.Count;

    public bool TryGet(CacheKey key, out string text) => _entries.TryGetValue(key, out text!);

    public void Add(CacheKey key, string text)
    {
        if (!_entries.TryAdd(key, text) || _writer is null) return;
        lock (_gate)
        {
            _writer.WriteLine(JsonSerializer.Serialize(new Entry(key.PromptHash, key.Model, text)));
            _writer.Flush();
        }
    }

    public void Dispose()
    {
        lock (_gate) _writer?.Dispose();
    }
}
