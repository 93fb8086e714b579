using Plotly.NET;
using Plotly.NET.CSharp;
using SafetyNotebooks.Launch;
using SafetyNotebooks.Training;

namespace SafetyNotebooks.Reporting;

/// <summary>One line of a <see cref="LossChart"/>: a named series of (step, value) points.</summary>
public sealed record Curve(string Name, IReadOnlyList<double> Steps, IReadOnlyList<double> Values, bool Markers = false)
{
    /// <summary>The loss of an in-process training log (<see cref="Trainer"/>).</summary>
    public static Curve Of(string name, IReadOnlyList<TrainLogEntry> log, bool markers = false) =>
        new(name, log.Select(e => (double)e.Step).ToArray(), log.Select(e => e.Loss).ToArray(), markers);
}

/// <summary>
/// The one builder of loss-against-step charts (in-process training, the toy and miniature runs, LitGPT runs read by
/// <see cref="TrainingMetrics"/>): lines on one chart, titled, optionally with axis titles.
/// </summary>
public static class LossChart
{
    public static GenericChart Of(IEnumerable<Curve> curves, string title, string? xTitle = null, string? yTitle = null)
    {
        var chart = Plotly.NET.CSharp.Chart.Combine(curves.Select(c =>
            Plotly.NET.CSharp.Chart.Line<double, double, string>(x: c.Steps.ToArray(), y: c.Values.ToArray(), Name: c.Name, ShowMarkers: c.Markers)));
        if (xTitle is not null) chart = chart.WithXAxisStyle<double, double, string>(TitleText: xTitle);
        if (yTitle is not null) chart = chart.WithYAxisStyle<double, double, string>(TitleText: yTitle);
        return chart.Titled(title);
    }

    /// <summary>Loss against step of one in-process training log.</summary>
    public static GenericChart Of(IReadOnlyList<TrainLogEntry> log, string title = "Training loss") => Of([Curve.Of("loss", log)], title);

    /// <summary>Training and validation loss of a LitGPT run against the step.</summary>
    public static GenericChart Of(TrainingStatus status, string title = "Loss")
    {
        var train = status.Points.Where(p => p.Loss is not null).ToList();
        var val = status.Points.Where(p => p.ValLoss is not null).ToList();
        var curves = new List<Curve> { new("train loss", train.Select(p => (double)p.Step).ToArray(), train.Select(p => p.Loss!.Value).ToArray()) };
        if (val.Count > 0) curves.Add(new("val loss", val.Select(p => (double)p.Step).ToArray(), val.Select(p => p.ValLoss!.Value).ToArray(), Markers: true));
        return Of(curves, title);
    }

    /// <summary>Tokens per second per GPU of a LitGPT run against the step.</summary>
    public static GenericChart Throughput(TrainingStatus status, string title = "Throughput (tokens/s per GPU)")
    {
        var pts = status.Points.Where(p => p.TokensPerSecondPerGpu is not null).ToList();
        return Of([new Curve("tokens/s/GPU", pts.Select(p => (double)p.Step).ToArray(), pts.Select(p => p.TokensPerSecondPerGpu!.Value).ToArray())], title);
    }
}
