using System.Text.Json.Nodes;
using SafetyNotebooks.Data;
using SafetyNotebooks.Miniature;
using SafetyNotebooks.Scoring;
using SafetyNotebooks.Tests.Foundation;
using SafetyNotebooks.Tests.Scoring;

namespace SafetyNotebooks.Tests.Miniature;

public class MiniatureFileStageTests
{
    [Fact]
    public async Task With_an_llm_rubric_judge_at_an_endpoint_the_score_stage_runs_on_files_and_matches_the_in_memory_scores()
    {
        var o = MiniatureOptions.Quick with { Documents = 80, ClassifierDocuments = 120, ClassifierEpochs = 1, Output = TestDirs.Fresh(), Device = "cpu" };
        var corpus = MiniatureStages.Corpus(o);
        var folders = new MiniatureFolders(Path.Combine(TestDirs.Fresh(), "work"));
        await Documents.WriteAsync(Documents.ShardPath(folders.Corpus, "toy", "train", 0), corpus);
        // a judge behind a loopback OpenAI-compatible endpoint: instructions are 5, the rest 0, and one document it cannot answer
        string Prompt(JsonNode body) => string.Join("\n", body["messages"]!.AsArray().Select(m => (string?)m!["content"]));
        string Answer(JsonNode body) => Prompt(body).Contains(corpus[7].Text.Trim()) ? "no idea"
            : Prompt(body).Contains("First,") ? "5, \"reason\": \"instructions\"}" : "0, \"reason\": \"benign\"}";
        using var server = new LoopbackOpenAi(Answer);
        var judge = LlmEndpoint.Resolve(server.Url, "rubric-judge").CreateClient();

        var onFiles = await MiniatureFileStages.ScoreAsync(corpus, folders, o, judge);
        var inMemory = await MiniatureStages.ScoreAsync(corpus, o, judge);

        Assert.Equal(inMemory.Documents.Select(d => (d.Id, d.SafetyScore)), onFiles.Documents.Select(d => (d.Id, d.SafetyScore)));
        var rubric = Assert.IsType<RubricScoring>(onFiles.Rubric);
        Assert.Equal(1, rubric.Failures);
        Assert.Equal(inMemory.Rubric!.AgreementWithTruth, rubric.AgreementWithTruth);
        Assert.Equal(inMemory.AgreementWithTruth, onFiles.AgreementWithTruth);
        // the stage's file is what a user's `safetynb score --classifier … --llm-endpoint …` writes: the max ensemble, the judge's reasons
        var file = await Documents.ReadListAsync(Documents.ShardPath(folders.Scored, "toy", "train", 0));
        Assert.Equal(onFiles.Documents.Select(d => d.SafetyScore), file.Select(d => d.SafetyScore));
        Assert.Equal(SafetyScoreSources.Classifier, file[7].SafetyScoreSource); // the unanswered one keeps the classifier's score
        Assert.All(file.Where((_, i) => i != 7), d => Assert.Equal(SafetyScoreSources.Ensemble, d.SafetyScoreSource));
        Assert.Contains(file, d => d.SafetyReason == "instructions");
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(folders.Scored, ".llm"), "part-*.parquet", SearchOption.AllDirectories));
    }
}
