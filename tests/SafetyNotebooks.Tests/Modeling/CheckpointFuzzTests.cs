using FsCheck;
using FsCheck.Xunit;
using SafetyNotebooks.Modeling;
using SafetyNotebooks.Tests.Foundation.Hostile;

namespace SafetyNotebooks.Tests.Modeling;

/// <summary>Damaged safetensors headers and config.json files are refused as bad input, never crash libtorch or hang.</summary>
public sealed class CheckpointFuzzTests
{
    static readonly Lazy<string> Folder = new(() => TinyLlamaFolder.Create(seed: 11));

    static byte[] Bytes(string name) => File.ReadAllBytes(Path.Combine(Folder.Value, name));

    [Property(MaxTest = 80)]
    public Property Safetensors_headers_only_refuse() =>
        Fuzz.OnlyRefusesDamaged(Bytes(LlamaModel.WeightsFile), ".safetensors", path =>
        {
            Safetensors.ReadHeader(path);
            return Task.CompletedTask;
        });

    [Property(MaxTest = 30)]
    public Property Safetensors_loading_only_refuses() =>
        Fuzz.OnlyRefusesDamaged(Bytes(LlamaModel.WeightsFile), ".safetensors", path =>
        {
            foreach (var t in Safetensors.Load(path).Values) t.Dispose();
            return Task.CompletedTask;
        });

    [Property(MaxTest = 100)]
    public Property Config_json_only_refuses() =>
        Fuzz.OnlyRefusesDamaged(Bytes("config.json"), ".json", path =>
        {
            LlamaConfig.Load(path);
            return Task.CompletedTask;
        });
}
