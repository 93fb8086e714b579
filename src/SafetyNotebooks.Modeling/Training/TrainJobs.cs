using SafetyNotebooks.Modeling;
using SafetyNotebooks.Tokenization;
using static TorchSharp.torch;

namespace SafetyNotebooks.Training;

/// <summary>Runs a <see cref="TrainJob"/> (from YAML or code): builds the model, tokenizer and data, then trains.</summary>
public static class TrainJobs
{
    public static async Task<TrainResult> RunAsync(TrainJob job, bool resume = false, CancellationToken ct = default, Action<TrainLogEntry>? onStep = null)
    {
        OutputGuard.Folder(job.Output, [job.Data.LitData, job.Data.Documents, job.Pretrained, job.Tokenizer, job.Source], $"{job.Source}: output");
        var device = Torch.Device(job.Device);
        var model = job.Pretrained is { } dir ? LlamaModel.Load(dir, device) : LlamaModel.Create(job.Shape!, job.Config.Seed, device);
        var tokenizer = job.Tokenizer is { } t ? HfTokenizer.Load(t) : ByteLevelTokenizer.Create();
        CheckBatchFits(job.Config, model.VocabSize, job.Source);
        if (tokenizer.VocabSize > model.VocabSize)
            throw new BadInputException($"the tokenizer has {tokenizer.VocabSize} ids but the model only {model.VocabSize}", "model", "vocab_size", model.VocabSize.ToString());
        ITokenSource data = job.Data.LitData is { } lit
            ? TokenSources.FromLitData(lit, job.Config.SequenceLength)
            : await TokenSources.FromDocumentsAsync(job.Data.Documents!, tokenizer, job.Config.SequenceLength, ct);
        return Trainer.Train(model, job.Config, data, new TrainRun(job.Output, resume, ct, onStep));
    }

    /// <summary>
    /// Before the first step (and before log.jsonl exists): the logits of one micro-batch, [batch_size, seq_len, vocab]
    /// in float32 with their gradient, must fit in this machine's memory.
    /// </summary>
    static void CheckBatchFits(TrainConfig c, long vocab, string source) =>
        Bounds.FitsInMemory(2.0 * 4 * c.BatchSize * c.SequenceLength * vocab, $"a batch of {c.BatchSize} × {c.SequenceLength} tokens over {vocab} logits",
            source, "batch_size", c.BatchSize.ToString(System.Globalization.CultureInfo.InvariantCulture));
}
