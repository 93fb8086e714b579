using Microsoft.Data.Analysis;
using Plotly.NET;
using SafetyNotebooks.Reporting;
using TorchSharp;
using static TorchSharp.torch;

namespace SafetyNotebooks;

/// <summary>
/// One entry point per experiment of the paper. Notebooks and the <c>safetynb experiment</c> command call these;
/// no logic lives only in a notebook.
/// </summary>
public static partial class Experiments
{
    public sealed record QuickstartOptions(int Steps = 30, long Seed = 0, string? Device = null);

    /// <summary>What the quickstart shows: the toolkit and device, a tensor op, a tiny AdamW fit, a chart and a table.</summary>
    public sealed record QuickstartResult(
        string Version,
        DeviceInfo Device,
        float[,] Product,
        IReadOnlyList<double> Losses,
        GenericChart LossChart,
        DataFrame Table);

    /// <summary>
    /// Checks that the whole stack works: TorchSharp on the chosen device (a matmul and a least-squares fit with AdamW),
    /// Plotly.NET (a loss chart) and Microsoft.Data.Analysis (a table).
    /// </summary>
    public static QuickstartResult Quickstart(QuickstartOptions? options = null)
    {
        var o = options ?? new QuickstartOptions();
        var info = Torch.Describe(o.Device);
        var device = Torch.Device(o.Device);
        Torch.Seed(o.Seed);

        float[,] product;
        using (var scope = NewDisposeScope())
        {
            var a = tensor(new float[] { 1, 2, 3, 4 }, [2, 2], device: device);
            var b = tensor(new float[] { 0, 1, 1, 0 }, [2, 2], device: device);
            var p = matmul(a, b).cpu().data<float>().ToArray();
            product = new float[2, 2] { { p[0], p[1] }, { p[2], p[3] } };
        }

        var losses = FitLine(o.Steps, device);
        var steps = Enumerable.Range(1, losses.Count).Select(i => (double)i).ToArray();
        var chart = LossChart.Of([new Curve("loss", steps, losses.ToArray(), Markers: true)], "AdamW fitting y = 3x + 1");

        var table = new DataFrame(
            new PrimitiveDataFrameColumn<int>("step", steps.Select(s => (int)s)),
            new PrimitiveDataFrameColumn<double>("loss", losses));
        return new QuickstartResult(Toolkit.Version, info, product, losses, chart, table.Head(Math.Min(5, losses.Count)));
    }

    // Least squares with one AdamW step per iteration: small enough to run anywhere, large enough to exercise autograd.
    static List<double> FitLine(int steps, Device device)
    {
        using var scope = NewDisposeScope();
        var x = linspace(-1, 1, 64, device: device).unsqueeze(1);
        var y = 3 * x + 1;
        var layer = nn.Linear(1, 1).to(device);
        var opt = optim.AdamW(layer.parameters(), lr: 0.1);
        var losses = new List<double>(steps);
        for (var i = 0; i < steps; i++)
        {
            using var step = NewDisposeScope();
            opt.zero_grad();
            var loss = nn.functional.mse_loss(layer.forward(x), y);
            loss.backward();
            opt.step();
            losses.Add(loss.item<float>());
        }
        return losses;
    }
}
