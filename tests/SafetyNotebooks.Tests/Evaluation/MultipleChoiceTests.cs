using System.Text.Json.Serialization;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Parquet.Serialization;
using SafetyNotebooks.Evaluation;
using SafetyNotebooks.Tests.Foundation;

namespace SafetyNotebooks.Tests.Evaluation;

public class MultipleChoiceTests
{
    static readonly ByteTokenizer Bytes = new();

    static readonly string[] Corpus =
    [
        "The fox lives in the forest.", "The owl lives in the tower.", "The otter lives in the river.",
        "The fox eats berries.", "The owl eats mice.", "The otter eats fish.",
    ];

    static NGramLanguageModel Model(int order) => NGramLanguageModel.Fit(Corpus, Bytes, order, ByteTokenizer.BoundaryId);

    [Fact]
    public void Byte_tokenizer_round_trips_text_and_the_boundary_token()
    {
        var text = "naïve <s>café ✓";
        var ids = Bytes.Encode(text);
        Assert.Contains(ByteTokenizer.BoundaryId, ids);
        Assert.Equal(text, Bytes.Decode(ids));
        Assert.Equal("naïve café ✓", Bytes.Decode(ids, skipSpecialTokens: true));
        Assert.Equal(ByteTokenizer.BoundaryId, Bytes.Encode("x", addSpecialTokens: true)[0]);
    }

    [Property(MaxTest = 30)]
    public Property Ngram_distributions_are_normalised_and_positive() =>
        Prop.ForAll(Gen.Choose(1, 6).SelectMany(o => Gen.Elements("The", " fox", "xyz", "", "ow", "The o").Select(h => (o, h))).ToArbitrary(), x =>
        {
            var p = Model(x.o).NextDistribution(Bytes.Encode(x.h).Prepend(ByteTokenizer.BoundaryId).ToList());
            return Math.Abs(p.Sum() - 1) < 1e-9 && p.All(v => v > 0);
        });

    [Fact]
    public void Scorer_log_likelihood_is_the_sum_of_next_token_log_probabilities()
    {
        var model = Model(4);
        var scorer = new CausalLmScorer(model, Bytes, new CausalLmScorer.Options(BatchSize: 2));
        var requests = new[] { new LoglikelihoodRequest("The fox lives in the", " forest"), new LoglikelihoodRequest("The owl eats ", "mice."), new LoglikelihoodRequest("Q", " z") };
        var results = scorer.Score(requests);
        for (var r = 0; r < requests.Length; r++)
        {
            // Trailing whitespace moves from the context to the continuation, as in lm-evaluation-harness.
            var context = requests[r].Context.TrimEnd();
            var continuation = requests[r].Context[context.Length..] + requests[r].Continuation;
            var history = Bytes.Encode(context).ToList();
            var expected = 0.0;
            foreach (var t in Bytes.Encode(continuation))
            {
                expected += Math.Log(model.NextDistribution(history)[t]);
                history.Add(t);
            }
            Assert.Equal(expected, results[r].LogLikelihood, 3);
            Assert.Equal(Bytes.Encode(continuation).Count, results[r].Tokens);
        }
        Assert.True(results[0].LogLikelihood > scorer.Score([new("The fox lives in the", " river")])[0].LogLikelihood);
    }

    [Fact]
    public void Scores_do_not_depend_on_batch_size_or_order()
    {
        var model = Model(3);
        var requests = Enumerable.Range(0, 7).Select(i => new LoglikelihoodRequest(new string('a', i + 1) + "The", $" {i} fox")).ToArray();
        var one = new CausalLmScorer(model, Bytes, new(BatchSize: 1)).Score(requests);
        var many = new CausalLmScorer(model, Bytes, new(BatchSize: 4)).Score(requests);
        var reversed = new CausalLmScorer(model, Bytes, new(BatchSize: 3)).Score(requests.Reverse().ToArray()).Reverse().ToArray();
        Assert.Equal(one.Select(r => r.LogLikelihood), many.Select(r => r.LogLikelihood));
        Assert.Equal(one.Select(r => r.LogLikelihood), reversed.Select(r => r.LogLikelihood));
    }

    [Fact]
    public void Empty_context_needs_a_prefix_token_and_long_inputs_keep_their_end()
    {
        var model = Model(3);
        Assert.Throws<BadInputException>(() => new CausalLmScorer(model, Bytes).Score([new("", "The")]));
        var withBos = new CausalLmScorer(model, Bytes, new(PrefixTokenId: ByteTokenizer.BoundaryId)).Score([new("", "The")]);
        Assert.True(withBos[0].LogLikelihood < 0);
        // An order-3 model only sees two tokens back, so cutting the context to 8 tokens changes nothing.
        var longContext = new string('z', 100) + " The fox";
        var cut = new CausalLmScorer(model, Bytes, new(MaxLength: 8)).Score([new(longContext, " eats")]);
        var full = new CausalLmScorer(model, Bytes).Score([new(longContext, " eats")]);
        Assert.Equal(full[0].LogLikelihood, cut[0].LogLikelihood, 5);
        Assert.True(full[0].IsGreedy == cut[0].IsGreedy);
    }

    [Fact]
    public void Acc_norm_divides_by_the_options_utf8_bytes()
    {
        var item = McItem.Shared("q", "ctx", ["a", "ééé"], gold: 1); // 1 byte vs 6 bytes
        var (pred, norm) = MultipleChoice.Decide(item, [-2.0, -6.0]);
        Assert.Equal(0, pred);  // -2 > -6
        Assert.Equal(1, norm);  // -2/1 < -6/6
        var same = McItem.Shared("t", "ctx", ["ab", "cd"], gold: 1);
        Assert.Equal((0, 0), MultipleChoice.Decide(same, [-3.0, -3.0])); // ties go to the first option, like numpy's argmax
    }

    static McTask FactTask() => new("facts",
    [
        McItem.Shared("fox", "The fox lives in the", ["forest", "river", "tower"], 0),
        McItem.Shared("owl", "The owl lives in the", ["forest", "river", "tower"], 2),
        McItem.Shared("otter", "The otter lives in the", ["forest", "river", "tower"], 1),
        McItem.Shared("fox-food", "The fox eats", ["fish", "berries", "mice"], 1),
    ]);

    [Fact]
    public void A_model_that_memorised_the_facts_scores_them_and_a_unigram_does_not()
    {
        var task = FactTask();
        // "The fox lives in the " is 21 bytes: the model must see that far back to tell the animals apart.
        var strong = MultipleChoice.Evaluate(task, new CausalLmScorer(Model(24), Bytes), resamples: 200);
        var weak = MultipleChoice.Evaluate(task, new CausalLmScorer(Model(1), Bytes), resamples: 200);
        Assert.Equal(1.0, strong.Acc.Value);
        Assert.Equal(4, strong.N);
        Assert.True(weak.Acc.Value < 1.0);
        Assert.All(strong.Items, i => Assert.Equal(3, i.LogLikelihoods.Count));
    }

    [Fact]
    public void Few_shot_prompts_are_seeded_exclude_the_item_and_use_the_pool()
    {
        var task = FactTask();
        var item = task.Items[0];
        var a = FewShot.Select(task, item, 2, seed: 9);
        Assert.Equal(a, FewShot.Select(task, item, 2, seed: 9));
        Assert.DoesNotContain(item, a);
        Assert.Equal(2, a.Distinct().Count());
        var seeds = Enumerable.Range(0, 20).Select(s => string.Join(",", FewShot.Select(task, item, 2, s).Select(x => x.Id))).Distinct().Count();
        Assert.True(seeds > 1);
        var prefix = FewShot.Prefix(task with { Description = "Facts." }, item, 1, seed: 9);
        Assert.StartsWith("Facts.\n\n", prefix);
        Assert.EndsWith("\n\n", prefix);
        Assert.Contains(FewShot.Select(task, item, 1, seed: 9).Single().Solved + "\n\n", prefix);
        var requests = MultipleChoice.Requests(task with { Description = "Facts." }, item, 1, seed: 9);
        Assert.All(requests, r => Assert.StartsWith(prefix, r.Context));
        Assert.Equal(" forest", requests[0].Continuation);
        Assert.Throws<BadInputException>(() => FewShot.Select(task, item, 4, 0));
        var pooled = task with { ShotPool = [McItem.Shared("pool1", "P", ["x", "y"], 0)] };
        Assert.Equal("pool1", FewShot.Select(pooled, item, 1, 3).Single().Id);
    }

    [Fact]
    public void Evaluation_is_deterministic_and_shots_change_the_prompt()
    {
        var task = FactTask();
        var scorer = new CausalLmScorer(Model(5), Bytes, new(BatchSize: 3));
        var a = MultipleChoice.Evaluate(task, scorer, shots: 2, seed: 4, resamples: 100);
        var b = MultipleChoice.Evaluate(task, scorer, shots: 2, seed: 4, resamples: 100);
        Assert.Equal(a.Items.SelectMany(i => i.LogLikelihoods), b.Items.SelectMany(i => i.LogLikelihoods));
        Assert.Equal(a.Acc, b.Acc);
        Assert.NotEqual(MultipleChoice.Requests(task, task.Items[0], 0, 4), MultipleChoice.Requests(task, task.Items[0], 2, 4));
        Assert.Equal(MultipleChoice.Requests(task, task.Items[0], 2, 4), MultipleChoice.Requests(task, task.Items[0], 2, 4));
    }

    [Fact]
    public async Task Task_files_round_trip_and_reject_bad_gold()
    {
        var dir = TestDirs.Fresh();
        var path = Path.Combine(dir, "t.jsonl");
        var task = FactTask() with
        {
            Items = [.. FactTask().Items, new McItem("w", [new("Anna gave Bea her", "book."), new("Anna gave Cy her", "book.")], 1)],
            ShotPool = [McItem.Shared("s1", "S", ["a", "b"], 1, delimiter: "\n")],
        };
        McTaskFiles.Save(task, path);
        var back = await McTaskFiles.LoadAsync(path);
        Assert.Equal("t", back.Name);
        Assert.Equal(task.Items.Count, back.Items.Count);
        Assert.Equal(task.Items[^1].Options, back.Items[^1].Options);
        Assert.Equal(task.Items[1].Options, back.Items[1].Options);
        Assert.Equal("\n", back.ShotPool!.Single().Delimiter);
        File.WriteAllText(path, """{"id": "q", "context": "c", "choices": ["a", "b"], "gold": 2}""");
        var e = await Assert.ThrowsAsync<BadInputException>(() => McTaskFiles.LoadAsync(path));
        Assert.Contains("row 1", e.Message);
        Assert.Contains("gold", e.Message);
        File.WriteAllText(path, """{"id": "q", "context": "c", "choices": ["a", 3], "gold": 0}""");
        Assert.Contains("choices[1]", (await Assert.ThrowsAsync<BadInputException>(() => McTaskFiles.LoadAsync(path))).Message);
    }

    public sealed class Choices
    {
        [JsonPropertyName("text")] public List<string> Text { get; set; } = [];
        [JsonPropertyName("label")] public List<string> Label { get; set; } = [];
    }

    public sealed class ArcRow
    {
        [JsonPropertyName("id")] public string Id { get; set; } = "";
        [JsonPropertyName("question")] public string Question { get; set; } = "";
        [JsonPropertyName("choices")] public Choices Choices { get; set; } = new();
        [JsonPropertyName("answerKey")] public string AnswerKey { get; set; } = "";
    }

    public sealed class ObqaRow
    {
        [JsonPropertyName("id")] public string Id { get; set; } = "";
        [JsonPropertyName("question_stem")] public string QuestionStem { get; set; } = "";
        [JsonPropertyName("choices")] public Choices Choices { get; set; } = new();
        [JsonPropertyName("answerKey")] public string AnswerKey { get; set; } = "";
    }

    public sealed class PiqaRow
    {
        [JsonPropertyName("goal")] public string Goal { get; set; } = "";
        [JsonPropertyName("sol1")] public string Sol1 { get; set; } = "";
        [JsonPropertyName("sol2")] public string Sol2 { get; set; } = "";
        [JsonPropertyName("label")] public long Label { get; set; }
    }

    public sealed class WinograndeRow
    {
        [JsonPropertyName("sentence")] public string Sentence { get; set; } = "";
        [JsonPropertyName("option1")] public string Option1 { get; set; } = "";
        [JsonPropertyName("option2")] public string Option2 { get; set; } = "";
        [JsonPropertyName("answer")] public string Answer { get; set; } = "";
    }

    [Fact]
    public async Task Hugging_face_parquet_layouts_become_lm_eval_prompts()
    {
        var dir = TestDirs.Fresh();
        var arc = Path.Combine(dir, "arc.parquet");
        await ParquetSerializer.SerializeAsync(new[]
        {
            new ArcRow { Id = "Mercury_1", Question = "Which is a metal?", Choices = new() { Text = ["wood", "iron", "glass"], Label = ["A", "B", "C"] }, AnswerKey = "B" },
            new ArcRow { Id = "Mercury_2", Question = "Q2?", Choices = new() { Text = ["x", "y", "z", "w"], Label = ["1", "2", "3", "4"] }, AnswerKey = "4" },
        }, arc);
        var arcTask = await HfBenchmarks.LoadAsync(Benchmark.Arc, arc);
        Assert.Equal("Question: Which is a metal?\nAnswer:", arcTask.Items[0].Options[1].Context);
        Assert.Equal(["wood", "iron", "glass"], arcTask.Items[0].Options.Select(o => o.Continuation).ToArray());
        Assert.Equal(1, arcTask.Items[0].Gold);
        Assert.Equal(3, arcTask.Items[1].Gold);
        Assert.Equal("Mercury_2", arcTask.Items[1].Id);

        var obqa = Path.Combine(dir, "obqa.parquet");
        await ParquetSerializer.SerializeAsync(new[] { new ObqaRow { Id = "7-980", QuestionStem = "The sun is responsible for", Choices = new() { Text = ["puppies", "plants sprouting"], Label = ["A", "B"] }, AnswerKey = "B" } }, obqa);
        var obqaTask = await HfBenchmarks.LoadAsync(Benchmark.OpenBookQa, obqa);
        Assert.Equal("The sun is responsible for", obqaTask.Items[0].Options[0].Context);
        Assert.Equal(1, obqaTask.Items[0].Gold);

        var piqa = Path.Combine(dir, "piqa.parquet");
        await ParquetSerializer.SerializeAsync(new[] { new PiqaRow { Goal = "Open a jar", Sol1 = "Twist the lid", Sol2 = "Hit it", Label = 0 } }, piqa);
        var piqaTask = await HfBenchmarks.LoadAsync(Benchmark.Piqa, piqa);
        Assert.Equal("Question: Open a jar\nAnswer:", piqaTask.Items[0].Options[0].Context);
        Assert.Equal("Hit it", piqaTask.Items[0].Options[1].Continuation);

        var wino = Path.Combine(dir, "winogrande.parquet");
        await ParquetSerializer.SerializeAsync(new[] { new WinograndeRow { Sentence = "Sarah was a better cook than Maria so _ won the prize.", Option1 = "Sarah", Option2 = "Maria", Answer = "1" } }, wino);
        var winoTask = await HfBenchmarks.LoadAsync(Benchmark.Winogrande, wino);
        var w = winoTask.Items[0];
        Assert.Equal("Sarah was a better cook than Maria so Sarah", w.Options[0].Context);
        Assert.Equal("Sarah was a better cook than Maria so Maria", w.Options[1].Context);
        Assert.Equal("won the prize.", w.Options[0].Continuation);
        Assert.Equal(0, w.Gold);
        Assert.Equal("Sarah was a better cook than Maria so Sarah won the prize.", w.Solved);
    }

    [Fact]
    public async Task Unlabelled_or_inconsistent_benchmark_rows_are_bad_input()
    {
        var dir = TestDirs.Fresh();
        var wino = Path.Combine(dir, "w.jsonl");
        File.WriteAllText(wino, """{"sentence": "A _ b", "option1": "x", "option2": "y", "answer": ""}""");
        Assert.Contains("answer", (await Assert.ThrowsAsync<BadInputException>(() => HfBenchmarks.LoadAsync(Benchmark.Winogrande, wino))).Message);
        var arc = Path.Combine(dir, "arc.jsonl");
        File.WriteAllText(arc, """{"id": "a", "question": "q", "choices": {"text": ["x"], "label": ["A"]}, "answerKey": "E"}""");
        var e = await Assert.ThrowsAsync<BadInputException>(() => HfBenchmarks.LoadAsync(Benchmark.Arc, arc));
        Assert.Contains("answerKey", e.Message);
        Assert.Contains("'E'", e.Message);
    }
}
