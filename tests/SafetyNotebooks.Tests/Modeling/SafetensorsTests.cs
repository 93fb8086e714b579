using SafetyNotebooks.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace SafetyNotebooks.Tests.Modeling;

public class SafetensorsTests
{
    [Fact]
    public void Round_trip_keeps_names_dtypes_shapes_and_values()
    {
        using var scope = NewDisposeScope();
        var dir = Foundation.TestDirs.Fresh();
        var path = Path.Combine(dir, "m.safetensors");
        var tensors = new Dictionary<string, Tensor>
        {
            ["a.weight"] = randn(3, 5),
            ["b.bias"] = arange(7, dtype: ScalarType.Int64),
            ["c"] = randn(2, 2).to_type(ScalarType.BFloat16),
        };
        Safetensors.Save(path, tensors);
        var loaded = Safetensors.Load(path);
        Assert.Equal(tensors.Keys.Order(), loaded.Keys.Order());
        foreach (var (k, v) in tensors)
        {
            Assert.Equal(v.dtype, loaded[k].dtype);
            Assert.Equal(v.shape, loaded[k].shape);
            Assert.True(v.eq(loaded[k]).all().item<bool>(), k);
        }
        var f32 = Safetensors.Load(path, ScalarType.Float32, n => n == "c");
        Assert.Single(f32);
        Assert.Equal(ScalarType.Float32, f32["c"].dtype);
    }

    [Fact]
    public void Reads_the_hugging_face_fixture()
    {
        var (entries, metadata, _) = Safetensors.ReadHeader(Path.Combine(AppContext.BaseDirectory, "fixtures", "llama-a", "model.safetensors"));
        Assert.Contains(entries, e => e.Name == "model.embed_tokens.weight" && e.Shape.SequenceEqual(new long[] { 512, 64 }));
        Assert.Equal("pt", metadata["format"]);
    }

    [Fact]
    public void Garbage_and_truncated_files_are_bad_input_naming_the_file()
    {
        var dir = Foundation.TestDirs.Fresh();
        var junk = Path.Combine(dir, "junk.safetensors");
        File.WriteAllBytes(junk, "this is not a checkpoint at all"u8.ToArray());
        Assert.Contains("junk.safetensors", Assert.Throws<BadInputException>(() => Safetensors.ReadHeader(junk)).Message);

        var good = Path.Combine(dir, "good.safetensors");
        using (var t = randn(100)) Safetensors.Save(good, new Dictionary<string, Tensor> { ["x"] = t });
        var bytes = File.ReadAllBytes(good);
        var cut = Path.Combine(dir, "cut.safetensors");
        File.WriteAllBytes(cut, bytes[..^10]);
        var e = Assert.Throws<BadInputException>(() => Safetensors.Load(cut));
        Assert.Contains("cut.safetensors", e.Message);
        Assert.Contains("x", e.Message);
    }
}
