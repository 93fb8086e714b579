using SafetyNotebooks.Data.LitData;
using SafetyNotebooks.Modeling;
using SafetyNotebooks.Tests.Modeling;
using SafetyNotebooks.Tokenization;
using SafetyNotebooks.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SafetyNotebooks.Tests.Training;

public class TrainerTests
{
    static readonly LlamaConfig Tiny = new(258, 32, 64, 2, 4, 2, 8, 10000, 1e-5, true, 64, null, 256);

    static InMemoryTokenSource ToyText(int seqLen) =>
        TokenSources.FromTexts(Enumerable.Range(0, 40).Select(i => $"the cat {i % 7} sat on the mat number {i}. "), ByteLevelTokenizer.Create(), seqLen, ByteLevelTokenizer.EosId);

    [Fact]
    public void Three_adamw_steps_match_the_fixture_losses_grad_norms_and_parameters()
    {
        var train = LlamaFixture.Expected.GetProperty("train");
        var rows = train.GetProperty("batch").EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetInt32()).ToArray()).ToArray();
        var data = new InMemoryTokenSource(rows.SelectMany(r => r).ToArray(), rows[0].Length);
        var model = LlamaModel.Load(LlamaFixture.Dir);
        var config = new TrainConfig(Steps: 3, BatchSize: 2, SequenceLength: rows[0].Length - 1, LearningRate: 1e-3, Schedule: LrSchedule.Constant, ClipNorm: null);
        var log = Trainer.Train(model, config, data, new TrainRun(Shuffle: false)).Log;
        var losses = train.GetProperty("losses").EnumerateArray().Select(x => x.GetDouble()).ToArray();
        var norms = train.GetProperty("grad_norms_before_step").EnumerateArray().Select(x => x.GetDouble()).ToArray();
        for (var i = 0; i < 3; i++)
        {
            Assert.True(Math.Abs(log[i].Loss - losses[i]) / losses[i] < 1e-4, $"loss {i}: {log[i].Loss} vs {losses[i]}");
            Assert.True(Math.Abs(log[i].GradNorm - norms[i]) / norms[i] < 1e-4, $"grad norm {i}: {log[i].GradNorm} vs {norms[i]}");
        }
        var sum = model.parameters().Sum(p => p.to_type(ScalarType.Float64).sum().item<double>());
        var want = train.GetProperty("param_sum_after").GetDouble();
        Assert.True(Math.Abs(sum - want) / Math.Abs(want) < 1e-4, $"parameter sum {sum} vs {want}");
    }

    [Fact]
    public void Killed_run_resumes_with_the_identical_loss_curve()
    {
        var config = new TrainConfig(Steps: 8, BatchSize: 2, SequenceLength: 16, GradAccumulation: 2, LearningRate: 3e-3, WarmupSteps: 2, CheckpointEvery: 3);
        var data = ToyText(16);
        var straight = Trainer.Train(LlamaModel.Create(Tiny, seed: 1), config, data).Log;

        var dir = Foundation.TestDirs.Fresh();
        using var cts = new CancellationTokenSource();
        Assert.Throws<OperationCanceledException>(() =>
            Trainer.Train(LlamaModel.Create(Tiny, seed: 1), config, data, new TrainRun(dir, Cancellation: cts.Token, OnStep: e => { if (e.Step == 5) cts.Cancel(); })));
        // Steps 4 and 5 ran after the step-3 checkpoint and are redone; a fresh process would start from a new model.
        var resumed = Trainer.Train(LlamaModel.Create(Tiny, seed: 99), config, data, new TrainRun(dir, Resume: true));
        Assert.Equal(3, resumed.StartStep);
        Assert.Equal(straight.Select(e => e.Loss), resumed.Log.Select(e => e.Loss));
        Assert.Equal(straight.Select(e => e.GradNorm), resumed.Log.Select(e => e.GradNorm));
        Assert.Equal(8, Trainer.ReadLog(dir).Count);
        Assert.True(File.Exists(Path.Combine(dir, "checkpoint", "model.safetensors")));
    }

    [Fact]
    public void Hundred_steps_leave_the_live_tensor_count_flat()
    {
        var model = LlamaModel.Create(Tiny with { NumLayers = 1 }, seed: 2);
        var data = ToyText(8);
        long? after10 = null;
        var config = new TrainConfig(Steps: 100, BatchSize: 2, SequenceLength: 8, LearningRate: 1e-3);
        Trainer.Train(model, config, data, new TrainRun(OnStep: e =>
        {
            if (e.Step == 10) after10 = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            if (e.Step == 100) Assert.Equal(after10, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        }));
        Assert.NotNull(after10);
    }

    [Fact]
    public void Tiny_model_learns_toy_text_from_litdata_chunks()
    {
        var tok = ByteLevelTokenizer.Create();
        var dir = Foundation.TestDirs.Fresh();
        LitDataWriter.Write(dir, Enumerable.Range(0, 60).Select(i => tok.Encode($"the cat sat on the mat {i % 3}. ").Append(256).ToArray()), chunkBytes: 2000);
        var data = TokenSources.FromLitData(dir, 24);
        var log = Trainer.Train(LlamaModel.Create(Tiny, seed: 3), new TrainConfig(Steps: 40, BatchSize: 4, SequenceLength: 24, LearningRate: 1e-2, WarmupSteps: 4, Schedule: LrSchedule.Cosine), data).Log;
        Assert.True(log[^1].Loss < 0.5 * log[0].Loss, $"loss {log[0].Loss} -> {log[^1].Loss}");
    }

    [Fact]
    public void Schedules_warm_up_hold_and_decay()
    {
        var wsd = new TrainConfig(Steps: 100, BatchSize: 1, SequenceLength: 1, LearningRate: 1.0, MinLearningRate: 0.1, WarmupSteps: 10, DecayFraction: 0.2);
        Assert.Equal(0.1, LearningRates.At(wsd, 0), 9);
        Assert.Equal(1.0, LearningRates.At(wsd, 9), 9);
        Assert.Equal(1.0, LearningRates.At(wsd, 79), 9);
        Assert.Equal(0.1, LearningRates.At(wsd, 99), 9);
        var cos = wsd with { Schedule = LrSchedule.Cosine };
        Assert.Equal(0.55, LearningRates.At(cos, 55), 9);
        Assert.True(Enumerable.Range(10, 89).All(s => LearningRates.At(cos, s + 1) <= LearningRates.At(cos, s)));
    }
}
