using TorchSharp;
using static TorchSharp.torch;

namespace SafetyNotebooks.Tests.Foundation;

public class TorchSmokeTests
{
    [Fact]
    public void Matmul_runs_on_the_cpu_libtorch()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new float[] { 1, 2, 3, 4 }, [2, 2]);
        var b = tensor(new float[] { 0, 1, 1, 0 }, [2, 2]);
        Assert.Equal(new float[] { 2, 1, 4, 3 }, matmul(a, b).data<float>().ToArray());
    }

    [Fact]
    public void One_AdamW_step_moves_the_weights_against_the_gradient()
    {
        using var scope = NewDisposeScope();
        var w = nn.Parameter(tensor(new float[] { 1f, -2f }));
        var opt = optim.AdamW([w], lr: 0.1, weight_decay: 0.0);
        var loss = (w * w).sum();
        loss.backward();
        opt.step();
        // Adam's first step moves each weight by lr * sign(grad) (bias-corrected m/sqrt(v) = ±1).
        var after = w.detach().data<float>().ToArray();
        Assert.Equal(0.9f, after[0], 4);
        Assert.Equal(-1.9f, after[1], 4);
    }

    [Fact]
    public void Device_request_parsing_names_the_variable_on_bad_input()
    {
        Assert.Equal(DeviceRequest.Cpu, Torch.ParseRequest("CPU"));
        Assert.Equal(DeviceRequest.Cuda, Torch.ParseRequest("cuda:1"));
        Assert.Equal(DeviceRequest.Auto, Torch.ParseRequest(null));
        var e = Assert.Throws<BadInputException>(() => Torch.ParseRequest("tpu"));
        Assert.Contains("SAFETYNB_DEVICE", e.Message);
        Assert.Contains("tpu", e.Message);
    }

    [Fact]
    public void Cpu_is_always_available_and_cuda_request_fails_clearly_without_a_gpu()
    {
        Assert.Equal(DeviceType.CPU, Torch.Device("cpu").type);
        if (!Torch.CudaAvailable)
        {
            var e = Assert.Throws<InvalidOperationException>(() => Torch.Device("cuda"));
            Assert.Contains("SAFETYNB_LIBTORCH_DIR", e.Message);
        }
    }

    [Fact]
    public void Quickstart_fits_the_line()
    {
        var r = Experiments.Quickstart(new Experiments.QuickstartOptions(Steps: 60, Device: "cpu"));
        Assert.Equal(2f, r.Product[0, 0]);
        Assert.True(r.Losses[^1] < r.Losses[0] / 10, $"loss {r.Losses[0]} -> {r.Losses[^1]}");
        Assert.Equal(5, r.Table.Rows.Count);
    }
}
