using System.Diagnostics;
using SafetyNotebooks.Data.Toy;
using SafetyNotebooks.Scoring;
using SafetyNotebooks.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace SafetyNotebooks.Bench;

/// <summary>
/// <c>toy-encoder</c>: CPU documents/s of the toy classifier (tokenise, chunk, length-sorted dynamic padding, forward,
/// max over chunks), against the same forward with every chunk padded to the maximum length (the baseline).
/// Args: [documents=300] [max_length=64] [threads].
/// </summary>
public static class ToyEncoderBench
{
    public static int Run(string[] args)
    {
        var n = args.Length > 0 ? int.Parse(args[0]) : 300;
        var maxLength = args.Length > 1 ? int.Parse(args[1]) : 64;
        if (args.Length > 2) set_num_threads(int.Parse(args[2]));
        Torch.Seed(0);
        var texts = ToyWorld.HeldOut(n, new ToyOptions(0)).Select(d => d.Text).ToList();
        var tokenizer = WordPieceTokenizer.BuildWordVocabulary(ToyWorld.Corpus(800, new ToyOptions(0)).Select(d => d.Text));
        using var classifier = new SafetyClassifier(new GteForSequenceClassification(GteConfig.Toy(tokenizer.VocabSize, maxLength)), tokenizer, maxLength);
        classifier.Model.eval();

        var tokenize = Harness.Median(() => texts.ForEach(t => tokenizer.Encode(t)), runs: 3);
        var scoring = Harness.Median(() => classifier.Score(texts), runs: 3);
        var fixedPadding = Harness.Median(() => ScoreFixedPadding(classifier, texts), runs: 3);
        var chunks = texts.Sum(t => Chunking.Split(tokenizer.Encode(t), maxLength, tokenizer.ClsId, tokenizer.SepId).Count());
        Console.WriteLine($"toy encoder (64 hidden, 2 layers), {n} toy documents → {chunks} chunks of ≤ {maxLength} tokens, {get_num_threads()} torch threads");
        Harness.Row("tokenise only", n / tokenize.TotalSeconds, "docs/s");
        Harness.Row("baseline: every chunk padded to max length", n / fixedPadding.TotalSeconds, "docs/s", 1.0);
        Harness.Row("Score(): length-sorted, dynamic padding", n / scoring.TotalSeconds, "docs/s", fixedPadding / scoring);
        return 0;
    }

    static void ScoreFixedPadding(SafetyClassifier c, IReadOnlyList<string> texts)
    {
        var tok = c.Tokenizer;
        var chunks = texts.SelectMany((t, d) => Chunking.Split(tok.Encode(t), c.MaxLength, tok.ClsId, tok.SepId).Select(ids => new Chunk(d, ids))).ToList();
        foreach (var group in chunks.Chunk(32))
        {
            var padded = group.Select(ch => ch with { Ids = [.. ch.Ids, .. Enumerable.Repeat(tok.PadId, c.MaxLength - ch.Ids.Length)] });
            var batch = Chunking.Batches(padded, 32, tok.PadId).Single();
            var mask = (long[,])batch.InputIds.Clone();
            for (var r = 0; r < group.Length; r++)
                for (var t = 0; t < c.MaxLength; t++) mask[r, t] = t < group[r].Ids.Length ? 1 : 0;
            c.Logits(batch.InputIds, mask);
        }
    }
}

/// <summary>
/// <c>gte-gpu</c>: documents/s of a gte-base-sized encoder (768 hidden, 12 layers, 12 heads, random weights) scoring
/// 512-token chunks, one chunk per document, batch 32. Args: [--device cuda|cpu] [--dtype bf16|f32] [--docs N] [--tiny]
/// (--tiny: 64 hidden, 2 layers, 64-token chunks, to prove the program on a CPU). bench/gpu/run.sh runs it next to a
/// PyTorch BERT-base script in one command.
/// </summary>
public static class GteGpuBench
{
    public static int Run(string[] args)
    {
        string Arg(string name, string fallback) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() ?? fallback;
        var tiny = args.Contains("--tiny");
        var device = Torch.Device(Arg("--device", "auto"));
        var dtype = Arg("--dtype", "bf16") == "bf16" ? ScalarType.BFloat16 : ScalarType.Float32;
        var docs = int.Parse(Arg("--docs", tiny ? "64" : "2048"));
        var batch = int.Parse(Arg("--batch", "32"));
        var config = tiny ? GteConfig.Toy(30528, 64) with { MaxPositionEmbeddings = 64 } : GteConfig.BaseSized();
        var length = config.MaxPositionEmbeddings;
        Torch.Seed(0);
        using var model = new GteForSequenceClassification(config);
        model.to(dtype).to(device).eval();
        var ids = randint(1000, 30000, [batch, length], dtype: ScalarType.Int64, device: device);
        var mask = ones([batch, length], ScalarType.Int64, device);
        void Pass()
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            for (var done = 0; done < docs; done += batch) model.Forward(ids, mask).Logits.argmax(-1).cpu();
            if (device.type == DeviceType.CUDA) cuda.synchronize();
        }
        var t = Harness.Median(Pass, runs: 3);
        Console.WriteLine($"gte-new {(tiny ? "tiny" : "base-sized")} ({config.HiddenSize} hidden, {config.NumLayers} layers), {length}-token chunks, batch {batch}, {dtype} on {device}");
        Harness.Row("TorchSharp gte encoder", docs / t.TotalSeconds, "docs/s");
        Console.WriteLine($"RESULT torchsharp_docs_per_s={docs / t.TotalSeconds:0.00}");
        return 0;
    }
}

/// <summary>
/// <c>toy-train</c>: trains the toy classifier (<see cref="ToyClassifier.Train"/>) and prints wall time and held-out
/// metrics. Args: key=value overrides of <see cref="ToyClassifier.Options"/> (train, heldout, epochs, maxlen, lambda,
/// lr, batch, probelr, probeepochs, vocab, seed) threads (torch threads while training).
/// </summary>
public static class ToyTrainingBench
{
    public static int Run(string[] args)
    {
        var o = new ToyClassifier.Options();
        foreach (var a in args)
        {
            var (k, v) = (a.Split('=')[0], a.Split('=')[1]);
            o = k switch
            {
                "train" => o with { TrainDocuments = int.Parse(v) },
                "heldout" => o with { HeldOutDocuments = int.Parse(v) },
                "epochs" => o with { Epochs = int.Parse(v) },
                "maxlen" => o with { MaxLength = int.Parse(v) },
                "lambda" => o with { Lambda = double.Parse(v) },
                "lr" => o with { LearningRate = double.Parse(v) },
                "batch" => o with { BatchSize = int.Parse(v) },
                "probelr" => o with { ProbeLearningRate = double.Parse(v) },
                "probeepochs" => o with { ProbeEpochs = int.Parse(v) },
                "vocab" => o with { VocabSize = int.Parse(v) },
                "seed" => o with { Seed = long.Parse(v) },
                "threads" => o with { Threads = int.Parse(v) },
                _ => throw new ArgumentException($"unknown option {k}"),
            };
        }
        var texts = ToyWorld.Corpus(o.TrainDocuments, new ToyOptions(o.Seed)).Select(d => d.Text).ToList();
        var words = texts.Select(t => t.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length).Order().ToList();
        Console.WriteLine($"{o}\nwords per training document: median {words[words.Count / 2]}, max {words[^1]}");
        var clock = Stopwatch.StartNew();
        var (classifier, report) = ToyClassifier.Train(o, new Progress<EpochReport>(e =>
            Console.WriteLine($"  {e.Stage} {e.Epoch}: loss {e.TrainLoss:0.000}, F1 {e.Eval.F1Macro:0.000}, R@1 {e.Eval.RecallAt1:0.000}, R@3 {e.Eval.RecallAt3:0.000}, {e.Seconds:0.0} s")));
        var seconds = clock.Elapsed.TotalSeconds;
        classifier.Dispose();
        Console.WriteLine($"held-out F1 {report.Final.F1Macro:0.000}, Recall@1 {report.Final.RecallAt1:0.000}, Recall@3 {report.Final.RecallAt3:0.000}; train {seconds:0.0} s wall");
        Console.WriteLine(string.Join("\n", report.Confusion.ToRows().Select(r => string.Join(" ", r.Select(x => $"{x,4}")))));
        return 0;
    }
}
