using FsCheck;
using FsCheck.Xunit;
using SafetyNotebooks.Synthesis;

namespace SafetyNotebooks.Tests.Synthesis;

public class SynthesisPartsTests
{
    [Property]
    public bool Prompts_are_recognised_with_their_exact_source(NonNull<string> source, byte styleIndex, byte taskIndex)
    {
        var task = (SynthesisTask)(taskIndex % 3);
        var style = (SafeWebStyle)(styleIndex % 7);
        var p = SynthesisPrompts.Build(task, source.Get, style);
        var r = SynthesisPrompts.Recognise(p.Messages);
        return r is not null && r.Task == task && r.Source == source.Get && r.Style == (task == SynthesisTask.Rephrase ? style : null);
    }

    [Fact]
    public void Other_text_is_not_recognised()
    {
        Assert.Null(SynthesisPrompts.Recognise("You are a helpful assistant.", "Write a poem."));
        var p = SynthesisPrompts.Build(SynthesisTask.Refuse, "text");
        Assert.Null(SynthesisPrompts.Recognise(p.System, p.User.Replace("Write the dialogue", "Write a dialogue")));
    }

    [Fact]
    public void Every_style_prompt_differs_and_keeps_the_papers_rules()
    {
        var prompts = Enum.GetValues<SafeWebStyle>().Select(s => SynthesisPrompts.Build(SynthesisTask.Rephrase, "x", s).User).ToList();
        Assert.Equal(7, prompts.Distinct().Count());
        var system = SynthesisPrompts.Build(SynthesisTask.Rephrase, "x", SafeWebStyle.Podcast).System;
        Assert.Contains("on its own", system);
        Assert.Contains("middle-school", system);
        Assert.Contains("\"User:\"", SynthesisPrompts.Build(SynthesisTask.Refuse, "x").System);
        Assert.Contains("third person", SynthesisPrompts.Build(SynthesisTask.Moral, "x").System);
    }

    [Fact]
    public void Style_draw_is_seeded_per_document_and_covers_all_seven()
    {
        var ids = Enumerable.Range(0, 700).Select(i => $"doc-{i}").ToList();
        var a = ids.Select(id => SeededDraw.Style(7, id)).ToList();
        var b = ids.AsEnumerable().Reverse().Select(id => SeededDraw.Style(7, id)).Reverse().ToList();
        Assert.Equal(a, b);
        Assert.Equal(7, a.Distinct().Count());
        Assert.All(a.GroupBy(s => s), g => Assert.InRange(g.Count(), 60, 140));
        Assert.NotEqual(a, ids.Select(id => SeededDraw.Style(8, id)).ToList());
    }

    [Fact]
    public void Role_names_replace_only_speaker_labels()
    {
        var dialogue = "User: can you help?\nAssistant: No. The User: label inside a line stays.\nUser: ok";
        var replaced = RoleNames.Replace(dialogue, 3, "doc-1");
        var (user, assistant) = RoleNames.For(3, "doc-1");
        Assert.Equal($"{user}: can you help?\n{assistant}: No. The User: label inside a line stays.\n{user}: ok", replaced);
        Assert.Equal(replaced, RoleNames.Replace(dialogue, 3, "doc-1"));
        var pairs = Enumerable.Range(0, 200).Select(i => RoleNames.For(3, $"d{i}")).Distinct().Count();
        Assert.True(pairs > 50);
    }

    const string Source = "The river traders of Ashford sell salt and honey at the market every week, and the children help to carry the baskets home before dark.";

    [Theory]
    [InlineData("", "empty")]
    [InlineData("Too few words here.", "too short")]
    [InlineData("I'm sorry, but I can't help with rewriting this text because it is sensitive and I do not want to produce anything that could possibly be misused by anyone.", "declined")]
    public void Quality_checks_reject_with_a_reason(string output, string reason)
    {
        var v = QualityChecks.Check(SynthesisTask.Rephrase, Source, output);
        Assert.False(v.Accepted);
        Assert.Contains(reason, v.Reason);
    }

    [Fact]
    public void Copies_and_wrong_forms_are_rejected()
    {
        Assert.Contains("copies", QualityChecks.Check(SynthesisTask.Rephrase, Source, "Hello class. " + Source).Reason);
        var article = "Why we share fairly. Markets work when traders are honest with one another, and communities grow stronger when everyone keeps their promises and helps their neighbours carry what they cannot carry alone.";
        Assert.True(QualityChecks.Check(SynthesisTask.Rephrase, Source, article).Accepted);
        Assert.Equal(QualityChecks.NotDialogue, QualityChecks.Check(SynthesisTask.Refuse, Source, article).Reason);
        var dialogue = "User: Tell me how to cheat the traders at the market so that they lose their money.\nAssistant: I can't help with that. Cheating hurts people who depend on fair trade; if you need money, the market council can help.";
        Assert.True(QualityChecks.Check(SynthesisTask.Refuse, Source, dialogue).Accepted); // a refusing speaker is not a declined task
        Assert.Equal(QualityChecks.IsDialogue, QualityChecks.Check(SynthesisTask.Moral, "unrelated words only here", dialogue).Reason);
    }

    [Fact]
    public void Retry_delays_grow_and_are_capped()
    {
        var p = new RetryPolicy(BaseDelay: TimeSpan.FromMilliseconds(100), MaxDelay: TimeSpan.FromMilliseconds(350));
        Assert.Equal([0, 100, 200, 350, 350], Enumerable.Range(1, 5).Select(a => (int)p.DelayBefore(a).TotalMilliseconds));
    }

    [Fact]
    public void Config_names_follow_the_release()
    {
        Assert.Equal("score_2_rephrased", SynthesisTasks.ConfigName(SynthesisTask.Rephrase, 2));
        Assert.Equal("score_4_refusal", SynthesisTasks.ConfigName(SynthesisTask.Refuse, 4));
        Assert.Equal("score_5_morals", SynthesisTasks.ConfigName(SynthesisTask.Moral, 5));
    }
}
