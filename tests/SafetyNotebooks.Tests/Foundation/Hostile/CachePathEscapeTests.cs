using SafetyNotebooks.Data;
using SafetyNotebooks.Evaluation;
using SafetyNotebooks.Tests.Evaluation;

namespace SafetyNotebooks.Tests.Foundation.Hostile;

/// <summary>Refs, revisions, snapshots and linked files of the Hugging Face cache stay inside the cache (issue 19).</summary>
public sealed class CachePathEscapeTests
{
    const string Repo = "locuslab/jb-completions";

    /// <summary>A cache whose jb-completions repo has a real parquet file outside the cache, at ROOT/elsewhere/data.</summary>
    static async Task<(string Root, string Cache, string RepoDir)> Layout()
    {
        var root = TestDirs.Fresh();
        var cache = Path.Combine(root, "hub");
        var repoDir = Path.Combine(cache, "datasets--locuslab--jb-completions");
        Directory.CreateDirectory(Path.Combine(repoDir, "snapshots", "abc123"));
        Directory.CreateDirectory(Path.Combine(repoDir, "refs"));
        await LoaderTests.WriteJbParquet(Path.Combine(root, "elsewhere", "data"), "train-00000.parquet");
        return (root, cache, repoDir);
    }

    [Fact]
    public async Task A_ref_pointing_out_of_the_cache_is_refused_by_eval_hub_prompts()
    {
        var (_, cache, repoDir) = await Layout();
        File.WriteAllText(Path.Combine(repoDir, "refs", "main"), "../../../elsewhere");
        var e = await Assert.ThrowsAsync<BadInputException>(() => AttackPrompts.LoadJbCompletionsFromHubCacheAsync(cache));
        Assert.Contains(Path.Combine("refs", "main"), e.Message);
        Assert.Contains("../../../elsewhere", e.Message);
    }

    [Fact]
    public async Task A_revision_with_dots_is_refused()
    {
        var (_, cache, _) = await Layout();
        var e = Assert.Throws<BadInputException>(() => new HfCache(cache).Snapshot(Repo, Manifest.DatasetKind, "../../../elsewhere"));
        Assert.Contains("escapes", e.Message);
    }

    [Fact]
    public async Task A_snapshot_linked_out_of_the_cache_is_refused()
    {
        var (root, cache, repoDir) = await Layout();
        Directory.CreateSymbolicLink(Path.Combine(repoDir, "snapshots", "def456"), Path.Combine(root, "elsewhere"));
        File.WriteAllText(Path.Combine(repoDir, "refs", "main"), "def456");
        var e = Assert.Throws<BadInputException>(() => HubCache.DatasetFiles(Repo, cacheRoot: cache));
        Assert.Contains("outside the Hugging Face cache", e.Message);
    }

    [Fact]
    public async Task A_file_linked_out_of_the_cache_is_refused_and_a_blob_link_is_kept()
    {
        var (root, cache, repoDir) = await Layout();
        var snap = Path.Combine(repoDir, "snapshots", "abc123");
        Directory.CreateDirectory(Path.Combine(repoDir, "blobs"));
        File.Copy(Path.Combine(root, "elsewhere", "data", "train-00000.parquet"), Path.Combine(repoDir, "blobs", "b1"));
        File.CreateSymbolicLink(Path.Combine(snap, "train-00000.parquet"), Path.Combine("..", "..", "blobs", "b1"));
        File.WriteAllText(Path.Combine(repoDir, "refs", "main"), "abc123");
        Assert.Single(HubCache.DatasetFiles(Repo, cacheRoot: cache));
        File.CreateSymbolicLink(Path.Combine(snap, "train-00001.parquet"), Path.Combine(root, "elsewhere", "data", "train-00000.parquet"));
        var e = Assert.Throws<BadInputException>(() => HubCache.DatasetFiles(Repo, cacheRoot: cache));
        Assert.Contains("train-00001.parquet", e.Message);
    }

    [Theory]
    [InlineData("abc123", true)]
    [InlineData("0123456789abcdef0123456789abcdef01234567", true)]
    [InlineData("..", false)]
    [InlineData("a/b", false)]
    [InlineData("", false)]
    [InlineData("x\ny", false)]
    public void Commit_names_are_single_safe_segments(string name, bool ok) => Assert.Equal(ok, HfCache.IsCommitName(name));

    [Fact]
    public async Task Data_verify_refuses_a_ref_out_of_the_cache_with_exit_2()
    {
        var (_, cache, repoDir) = await Layout();
        File.WriteAllText(Path.Combine(repoDir, "refs", "main"), "../../../../elsewhere");
        var r = await CliProcess.RunAsync(new Dictionary<string, string> { ["HF_HUB_CACHE"] = cache, ["HF_HUB_OFFLINE"] = "1" }, "data", "verify", "jb-completions");
        Assert.Equal(2, r.Code);
        Assert.Contains("refs", r.Err);
        Assert.Contains("../../../../elsewhere", r.Err);
        Assert.DoesNotContain("   at ", r.Err);
    }
}
