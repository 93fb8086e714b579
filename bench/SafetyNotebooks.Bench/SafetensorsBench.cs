using SafetyNotebooks.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace SafetyNotebooks.Bench;

/// <summary>safetensors write and read throughput (MB/s) for a 256 MB float32 checkpoint.</summary>
public static class SafetensorsBench
{
    public static int Run(string[] args)
    {
        var dir = Directory.CreateTempSubdirectory("snb-bench-").FullName;
        var path = Path.Combine(dir, "w.safetensors");
        using var scope = NewDisposeScope();
        var tensors = Enumerable.Range(0, 16).ToDictionary(i => $"layer.{i}.weight", _ => randn(2048, 2048));
        var mb = tensors.Values.Sum(t => t.NumberOfElements * 4) / 1e6;
        var write = Harness.Median(() => Safetensors.Save(path, tensors), runs: 3);
        var read = Harness.Median(() => { foreach (var t in Safetensors.Load(path).Values) t.Dispose(); }, runs: 3);
        Harness.Row("safetensors write", mb / write.TotalSeconds, "MB/s");
        Harness.Row("safetensors read", mb / read.TotalSeconds, "MB/s");
        Directory.Delete(dir, true);
        return 0;
    }
}
