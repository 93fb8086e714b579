using SafetyNotebooks.Data;
using SafetyNotebooks.Data.Toy;

namespace SafetyNotebooks.Tests.Data;

public class ToyWorldTests
{
    [Fact]
    public void Same_seed_gives_identical_documents_and_different_seeds_differ()
    {
        var a = ToyWorld.Corpus(300, new ToyOptions(7)).ToList();
        var b = ToyWorld.Corpus(300, new ToyOptions(7)).ToList();
        var c = ToyWorld.Corpus(300, new ToyOptions(8)).ToList();
        Assert.Equal(a, b);
        Assert.NotEqual(a.Select(d => d.Text), c.Select(d => d.Text));
    }

    [Fact]
    public void Every_score_appears_with_its_ground_truth_and_the_edu_score_is_left_alone()
    {
        var docs = ToyWorld.Corpus(2000, new ToyOptions(1)).ToList();
        Assert.Equal(Enumerable.Range(0, 6), docs.Select(d => d.SafetyScore!.Value).Distinct().Order());
        Assert.All(docs, d => Assert.Equal(SafetyScoreSources.Toy, d.SafetyScoreSource));
        Assert.All(docs, d => Assert.InRange(d.Metadata!.IntScore!.Value, 1, 4));
        Assert.True(docs.Count(d => d.SafetyScore == 0) > docs.Count / 3);
    }

    [Fact]
    public void Facts_are_recovered_from_the_id_and_render_the_same_text()
    {
        foreach (var d in ToyWorld.Corpus(200, new ToyOptions(3)))
        {
            var f = ToyWorld.Facts(d.Id);
            Assert.Equal(d.SafetyScore, f.Label);
            Assert.InRange(Math.Abs(f.Label - f.Score), 0, 1);
            Assert.Equal(d.Text, ToyWorld.Render(f));
        }
    }

    [Fact]
    public void Unsafe_documents_open_with_the_jb_completion_prefix_and_the_judge_flags_them()
    {
        var docs = ToyWorld.Corpus(1500, new ToyOptions(2)).Where(d => ToyWorld.Facts(d.Id).Score >= 4).ToList();
        Assert.NotEmpty(docs);
        var prompts = ToyWorld.AllJbPrompts().Select(p => p.CompletionBehavior).ToHashSet();
        foreach (var d in docs)
        {
            var f = ToyWorld.Facts(d.Id);
            Assert.Contains(f.HarmfulOpening!, d.Text);
            Assert.Contains(f.HarmfulOpening!, prompts);
            Assert.True(ToyJudge.IsHarmful(d.Text), d.Text);
            Assert.False(ToyJudge.IsHarmful(ToyCounterparts.Refusal(f)));
            Assert.False(ToyJudge.IsHarmful(ToyCounterparts.MoralLesson(f)));
        }
        Assert.All(ToyWorld.Corpus(500, new ToyOptions(2)).Where(d => ToyWorld.Facts(d.Id).Score < 4), d => Assert.False(ToyJudge.IsHarmful(d.Text), d.Text));
        var noisy = ToyWorld.Corpus(3000, new ToyOptions(2)).Count(d => d.SafetyScore != ToyWorld.Facts(d.Id).Score);
        Assert.InRange(noisy, 60, 200); // ~4% label noise
    }

    [Fact]
    public void Jb_prompts_are_distinct_deterministic_and_a_few_hundred()
    {
        var all = ToyWorld.AllJbPrompts();
        Assert.InRange(all.Count, 600, 2000);
        Assert.Equal(all.Count, all.Select(p => p.CompletionBehavior).Distinct().Count());
        Assert.Equal(ToyWorld.JbPrompts(300, 5), ToyWorld.JbPrompts(300, 5));
        // two phrasings of every request: the opening alone, and the opening with the first step (itself no judge hit)
        var opening = all.Where(p => p.SourceDataset == ToyWorld.JbOpeningSource).ToList();
        var firstStep = all.Where(p => p.SourceDataset == ToyWorld.JbFirstStepSource).ToList();
        Assert.Equal(all.Count, 2 * opening.Count);
        Assert.Equal(opening.Select(p => p.OriginalBehavior), firstStep.Select(p => p.OriginalBehavior));
        Assert.All(opening, p => Assert.EndsWith("First,", p.CompletionBehavior));
        Assert.All(firstStep, p => Assert.Matches(@"First, \w.*\.$", p.CompletionBehavior));
        Assert.All(firstStep, p => Assert.False(ToyJudge.IsHarmful(p.CompletionBehavior), p.CompletionBehavior));
    }

    [Fact]
    public void Held_out_documents_are_disjoint_from_the_corpus()
    {
        var train = ToyWorld.Corpus(1000, new ToyOptions(4)).Select(d => d.Id).ToHashSet();
        Assert.DoesNotContain(ToyWorld.HeldOut(100, new ToyOptions(4)), d => train.Contains(d.Id));
    }

    [Fact]
    public void Counterparts_cover_their_scores_in_every_style()
    {
        var docs = ToyWorld.Corpus(600, new ToyOptions(9)).ToList();
        var index = new ToyFactsIndex(docs);
        foreach (var d in docs)
        {
            var f = index.Find($"Rewrite this web page:\n\n{d.Text}\n\nThank you.")!;
            Assert.Equal(d.Id, f.Id);
            if (f.Score is >= 1 and <= 3)
                foreach (var style in Enum.GetValues<RephraseStyle>())
                {
                    var text = ToyCounterparts.Rephrase(f, style);
                    Assert.Contains(f.Village, text);
                    Assert.False(ToyJudge.IsHarmful(text));
                }
            else if (f.Score >= 4)
            {
                Assert.StartsWith("User: " + f.HarmfulRequest, ToyCounterparts.Refusal(f));
                Assert.Contains(f.HarmfulOpening!, ToyCounterparts.Refusal(f).Split('\n')[0]);
                Assert.Contains("Assistant: I can't help", ToyCounterparts.Refusal(f));
                Assert.StartsWith("# ", ToyCounterparts.MoralLesson(f));
            }
            else Assert.Throws<ArgumentException>(() => ToyCounterparts.Refusal(f));
        }
        Assert.Null(index.Find("nothing here"));
    }

    [Fact]
    public async Task Export_writes_the_hub_layout_and_reads_back()
    {
        var dir = Foundation.TestDirs.Fresh();
        var r = await ToyExport.WriteAsync(dir, 250, new ToyOptions(11), heldOut: 20, jbPrompts: 30, docsPerShard: 100);
        Assert.Equal(3, r.TrainShards.Count);
        Assert.EndsWith(Path.Combine("toy", "train", "00002.parquet"), r.TrainShards[2]);
        var back = new List<Document>();
        await foreach (var d in Documents.ReadAllAsync(r.TrainShards)) back.Add(d);
        Assert.Equal(ToyWorld.Corpus(250, new ToyOptions(11)), back);
        Assert.Equal(30, (await JbCompletions.ReadAsync(r.JbPromptsFile)).Count);
    }

    [Fact]
    public void A_share_of_everyday_documents_are_benign_how_tos_in_both_forms_and_no_judge_calls_them_harmful()
    {
        var everyday = ToyWorld.Corpus(3000, new ToyOptions(4)).Where(d => ToyWorld.Facts(d.Id).Score == 0).ToList();
        var howTos = everyday.Where(d => d.Text.Contains("Here is how to", StringComparison.Ordinal)).ToList();
        Assert.InRange((double)howTos.Count / everyday.Count, 0.35, 0.45); // ToyWorld.HowToShare = 0.4
        var dialogues = howTos.Count(d => d.Text.StartsWith("User: ", StringComparison.Ordinal) && d.Text.Contains("\nAssistant: Here is how to", StringComparison.Ordinal));
        Assert.InRange((double)dialogues / howTos.Count, 0.4, 0.6);
        // every how-to answers one of the toy world's benign requests, in the jb prompts' "… First," form
        var openings = ToyWorld.HowTos.Select(h => h.Opening[..h.Opening.IndexOf('{')]).ToHashSet();
        Assert.All(howTos, d => Assert.Contains(openings, o => d.Text.Contains(o, StringComparison.Ordinal)));
        Assert.All(howTos, d => Assert.Contains(" First, ", d.Text));
        var step = new SafetyNotebooks.Evaluation.StepJudge();
        Assert.All(howTos, d => Assert.False(ToyJudge.IsHarmful(d.Text), d.Text));
        Assert.All(howTos, d => Assert.True(step.BestMatch(d.Text).Similarity < step.Threshold, d.Text));
    }

    [Fact]
    public void Only_how_tos_are_dialogues_and_the_benign_prompts_ask_for_the_how_tos()
    {
        foreach (var d in ToyWorld.Corpus(400, new ToyOptions(5)).Where(d => !d.Text.Contains("Here is how to", StringComparison.Ordinal) || ToyWorld.Facts(d.Id).Score >= 4))
            Assert.DoesNotContain("User: ", d.Text);
        var benign = SafetyNotebooks.Evaluation.ToyBenignPrompts.Draw(48, 0);
        var openings = ToyWorld.HowTos.Select(h => h.Opening[..h.Opening.IndexOf('{')]).ToList();
        Assert.All(benign, b => Assert.Contains(openings, o => b.Prompt.Contains(o, StringComparison.Ordinal)));
    }
}
