using SafetyNotebooks.Tagging;

namespace SafetyNotebooks.Tests.Tagging;

public class TagColumnsTests
{
    [Fact]
    public void Batch_tagging_equals_document_tagging_for_every_thread_count()
    {
        var corpus = TaggingTexts.Corpus(700, seed: 3);
        var plan = TagPlan.From(new TagOptions(Rate: 0.1, MinScore: 2));
        var ids = corpus.Select(d => (string?)d.Id).ToArray();
        var texts = corpus.Select(d => (string?)d.Text).ToArray();
        var scores = corpus.Select(d => (double?)d.Score).ToArray();
        var expected = corpus.Select(d => HarmfulnessTagger.TagDocument(d.Text, d.Id, d.Score, plan)).ToArray();
        foreach (var threads in new[] { 1, 2, 3, 8 })
        {
            var r = TagColumns.Tag(ids, texts, scores, plan, threads);
            Assert.Equal(expected.Select(e => e.Text), r.Texts);
            Assert.Equal(expected.Select(e => (int?)e.TagCount), r.TagCounts);
        }
        Assert.True(expected.Where((e, i) => corpus[i].Score < 2).All(e => e.TagCount == 0));
        Assert.True(expected.Sum(e => e.TagCount) > 0);
    }

    [Fact]
    public void Null_texts_stay_null_and_unchanged_documents_keep_their_string()
    {
        var plan = TagPlan.From(new TagOptions(Rate: 1));
        var text = "kept as is";
        var r = TagColumns.Tag(["a", "b", "c"], [null, text, "x y"], [5, 0, 5], plan);
        Assert.Null(r.Texts[0]);
        Assert.Same(text, r.Texts[1]);
        Assert.Equal($"x {TagOptions.DefaultTag} y", r.Texts[2]);
        Assert.Equal([0, 0, 1], r.TagCounts);
        Assert.Equal(1, r.TotalTags);
    }

    [Fact]
    public void Missing_scores_are_found_before_tagging()
    {
        Assert.Equal(-1, TagColumns.MissingScoreRow([1, 0, 5]));
        Assert.Equal(2, TagColumns.MissingScoreRow([1, 0, null]));
        Assert.Throws<ArgumentException>(() => TagColumns.Tag(["a"], ["t u"], [null], TagPlan.From(new TagOptions())));
    }
}
