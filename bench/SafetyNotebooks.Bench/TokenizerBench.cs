using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using SafetyNotebooks.Tokenization;

namespace SafetyNotebooks.Bench;

/// <summary>
/// Single-thread encode speed of <see cref="HfTokenizer"/> against Hugging Face's tokenizers (Rust, via
/// Tokenizers.DotNet) on the same texts with the same tokenizer.json, in the same process: Llama 3 (128k vocabulary),
/// Qwen3 (151k) and the SmolLM2 layout (ByteLevel with the GPT-2 regex after Digits with individual digits; a BPE of
/// 8,000 merges learned on the text). Text: web-like prose drawn from a Zipf-distributed lexicon of 40,000 words, with
/// numbers, code, punctuation and 10 % other scripts. Rows alternate runs of both, median CPU time of several; ids are
/// checked equal. Args: [megabytes=4] [runs=5].
/// </summary>
public static class TokenizerBench
{
    public static int Run(string[] args)
    {
        var megabytes = args.Length > 0 ? double.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 4;
        var runs = args.Length > 1 ? int.Parse(args[1]) : 5;
        var texts = WebLikeText((long)(megabytes * 1_000_000), seed: 18);
        var mb = texts.Sum(t => (long)Encoding.UTF8.GetByteCount(t)) / 1e6;
        Console.WriteLine($"{texts.Count} documents, {mb:0.0} MB; median CPU time of {runs} runs each, one thread");
        var dir = Directory.CreateTempSubdirectory("snb-tokenizer-").FullName;
        try
        {
            var ok = true;
            foreach (var (name, folder) in new[] { ("Llama 3 (128k)", Family("llama3", dir)), ("Qwen3 (151k)", Family("qwen3", dir)), ("SmolLM2 layout", Smol(texts, dir)) })
                ok &= Compare(name, folder, texts, mb, runs);
            return ok ? 0 : 1;
        }
        finally { Directory.Delete(dir, true); }
    }

    static bool Compare(string name, string folder, IReadOnlyList<string> texts, double mb, int runs)
    {
        var ours = HfTokenizer.Load(folder);
        using var rust = new Tokenizers.DotNet.Tokenizer(vocabPath: Path.Combine(folder, "tokenizer.json"));
        long oursTokens = 0, rustTokens = 0;
        var equal = texts.All(t => rust.Encode(t).Select(i => (int)i).SequenceEqual(ours.Encode(t, addSpecialTokens: true)));
        var oursTimes = new List<double>(); var rustTimes = new List<double>();
        for (var r = 0; r < runs; r++)
        {
            rustTimes.Add(TagBench.MedianCpu(() => { rustTokens = 0; foreach (var t in texts) rustTokens += rust.Encode(t).Length; }, 1).TotalSeconds);
            oursTimes.Add(TagBench.MedianCpu(() => { oursTokens = 0; foreach (var t in texts) oursTokens += ours.Encode(t, addSpecialTokens: true).Count; }, 1).TotalSeconds);
        }
        double Median(List<double> x) { x.Sort(); return x[x.Count / 2]; }
        var (o, h) = (Median(oursTimes), Median(rustTimes));
        Harness.Row($"{name}: Hugging Face tokenizers (Rust) encode [baseline]", mb / h, "MB/s", 1.0);
        Harness.Row($"{name}: HfTokenizer.Encode", mb / o, "MB/s", h / o);
        Console.WriteLine($"{name}: {oursTokens} tokens; ids {(equal && oursTokens == rustTokens ? "identical" : "DIFFERENT")}; runs ours [{string.Join(", ", oursTimes.Select(t => t.ToString("0.000")))}] s, Rust [{string.Join(", ", rustTimes.Select(t => t.ToString("0.000")))}] s");
        return equal && oursTokens == rustTokens;
    }

    /// <summary>Unpacks a family's fixture (tests/SafetyNotebooks.Tests/fixtures/tokenizers) into a folder.</summary>
    static string Family(string family, string dir)
    {
        var source = Path.Combine(TagBench.RepoRoot(), "tests", "SafetyNotebooks.Tests", "fixtures", "tokenizers", family);
        var target = Directory.CreateDirectory(Path.Combine(dir, family)).FullName;
        foreach (var gz in Directory.GetFiles(source, "*.json.gz"))
        {
            using var input = new GZipStream(File.OpenRead(gz), CompressionMode.Decompress);
            using var output = File.Create(Path.Combine(target, Path.GetFileNameWithoutExtension(gz)));
            input.CopyTo(output);
        }
        return target;
    }

    /// <summary>SmolLM2's layout: Digits(individual) then ByteLevel (GPT-2 regex), with merges learned on the text.</summary>
    static string Smol(IReadOnlyList<string> texts, string dir)
    {
        var json = ByteLevelTokenizer.TokenizerJson(ByteLevelBpeTrainer.Train(texts.Take(200), new BpeTrainingOptions(Merges: 8000)));
        json["pre_tokenizer"] = JsonNode.Parse("""
            {"type":"Sequence","pretokenizers":[{"type":"Digits","individual_digits":true},{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":true}]}
            """);
        return ByteLevelTokenizer.Write(Directory.CreateDirectory(Path.Combine(dir, "smol")).FullName, json);
    }

    static readonly string[] Other = ["Привет, как дела? Всё хорошо.", "日本語の文章を書いています。", "مرحبا بكم في الموقع", "Ελληνικά κείμενα εδώ", "한국어 텍스트입니다", "हिन्दी में लिखा है", "😀 👍🏽 🇫🇷 𝔞𝔟"];

    /// <summary>Deterministic web-like documents: Zipf-distributed pseudo-words, numbers, code and other scripts.</summary>
    public static IReadOnlyList<string> WebLikeText(long totalBytes, int seed)
    {
        var rng = new Random(seed);
        const string syllables = "ba be bi bo bu ca ce ci co cu da de di do du fa fe fi fo ga ge gi go ha he hi ho ka ke ki ko la le li lo lu ma me mi mo mu na ne ni no nu pa pe pi po pu ra re ri ro ru sa se si so su ta te ti to tu va ve vi vo wa we wi ya yo za th st tr pl gr ing ion ent";
        var parts = syllables.Split(' ');
        var lexicon = Enumerable.Range(0, 40_000).Select(_ => string.Concat(Enumerable.Range(0, 1 + rng.Next(4)).Select(_ => parts[rng.Next(parts.Length)]))).ToArray();
        var cumulative = new double[lexicon.Length];
        double sum = 0;
        for (var i = 0; i < lexicon.Length; i++) cumulative[i] = sum += 1.0 / (i + 1);
        string Word()
        {
            var u = rng.NextDouble() * sum;
            var k = Array.BinarySearch(cumulative, u);
            var w = lexicon[k < 0 ? ~k : k];
            return rng.Next(12) == 0 ? char.ToUpperInvariant(w[0]) + w[1..] : w;
        }
        var docs = new List<string>();
        long total = 0;
        var sb = new StringBuilder();
        while (total < totalBytes)
        {
            sb.Clear();
            var words = rng.Next(50, 800);
            for (var w = 0; w < words; w++)
            {
                sb.Append(rng.Next(30) switch { 0 => "\n", 1 => "\n\n", 2 => ", ", 3 => ". ", 4 => "  ", _ => " " });
                sb.Append(rng.Next(40) switch
                {
                    0 => rng.Next(100_000).ToString(System.Globalization.CultureInfo.InvariantCulture),
                    1 => $"{Word()}({Word()}, {rng.Next(10)});",
                    2 => Other[rng.Next(Other.Length)],
                    3 => $"\"{Word()}\"",
                    4 => $"{Word()}'s",
                    _ => Word(),
                });
            }
            var text = sb.ToString();
            docs.Add(text);
            total += Encoding.UTF8.GetByteCount(text);
        }
        return docs;
    }
}
