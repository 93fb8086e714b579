using System.Security.Cryptography;
using System.Text.Json;
using SafetyNotebooks.Data;
using SafetyNotebooks.Data.Toy;
using SafetyNotebooks.Tests.Evaluation;

namespace SafetyNotebooks.Tests.Foundation.Hostile;

/// <summary>No command overwrites or re-reads its inputs, or writes into an existing file where a folder is expected (issue 19).</summary>
public sealed class OutputGuardTests
{
    /// <summary>D with two Parquet shards of toy documents (scored, so tag accepts them).</summary>
    static async Task<string> Corpus(string root)
    {
        var d = Path.Combine(root, "D");
        Directory.CreateDirectory(d);
        var docs = ToyWorld.Corpus(20, new ToyOptions(3)).ToList();
        await Documents.WriteAsync(Path.Combine(d, "a.parquet"), docs.Take(10).ToList());
        await Documents.WriteAsync(Path.Combine(d, "b.parquet"), docs.Skip(10).ToList());
        return d;
    }

    /// <summary>Every file under a folder with its sha256: what "nothing changed" means.</summary>
    static Dictionary<string, string> Snapshot(string dir) =>
        Directory.EnumerateFileSystemEntries(dir, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(dir, f), f => File.Exists(f) ? Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))) : "dir");

    static void AssertRefused(CliRunner.Outcome r, string option, string value)
    {
        Assert.Equal(2, r.Code);
        Assert.Contains(option, r.Err);
        Assert.Contains(value, r.Err);
        Assert.DoesNotContain("   at ", r.Err);
    }

    [Theory]
    [InlineData("tag")]
    [InlineData("convert")]
    public async Task Output_equal_to_the_input_folder_is_refused_and_the_input_kept(string command)
    {
        var d = await Corpus(TestDirs.Fresh());
        var before = Snapshot(d);
        var r = command == "tag"
            ? await CliRunner.RunAsync("tag", "--input", d, "--output", d)
            : await CliRunner.RunAsync("data", "convert", d, "--output", d);
        AssertRefused(r, "--output", d);
        Assert.Contains("overwrite", r.Err);
        Assert.Equal(before, Snapshot(d));
    }

    [Fact]
    public async Task Convert_into_a_folder_inside_its_input_is_refused_so_it_cannot_convert_its_own_outputs()
    {
        var d = await Corpus(TestDirs.Fresh());
        var before = Snapshot(d);
        var output = Path.Combine(d, "out");
        for (var run = 0; run < 2; run++)
        {
            var r = await CliRunner.RunAsync("data", "convert", d, "--output", output);
            AssertRefused(r, "--output", output);
            Assert.Contains("its own outputs", r.Err);
        }
        Assert.Equal(before, Snapshot(d));
    }

    [Fact]
    public async Task A_file_input_whose_output_would_land_on_itself_is_refused()
    {
        var d = await Corpus(TestDirs.Fresh());
        var before = Snapshot(d);
        var r = await CliRunner.RunAsync("tag", "--input", Path.Combine(d, "a.parquet"), Path.Combine(d, "b.parquet"), "--output", d);
        AssertRefused(r, "--output", d);
        Assert.Equal(before, Snapshot(d));
    }

    [Fact]
    public async Task A_link_to_the_input_counts_as_the_input()
    {
        var root = TestDirs.Fresh();
        var d = await Corpus(root);
        var link = Path.Combine(root, "link");
        Directory.CreateSymbolicLink(link, d);
        var before = Snapshot(d);
        var r = await CliRunner.RunAsync("data", "convert", d, "--output", link);
        AssertRefused(r, "--output", link);
        Assert.Equal(before, Snapshot(d));
    }

    [Fact]
    public async Task An_output_folder_next_to_the_input_still_works()
    {
        var root = TestDirs.Fresh();
        var d = await Corpus(root);
        var r = await CliRunner.RunAsync("data", "convert", d, "--output", Path.Combine(root, "out"));
        Assert.True(r.Code == 0, r.Err);
        Assert.True(File.Exists(Path.Combine(root, "out", "a.parquet")));
    }

    public static TheoryData<string> FolderCommands => ["tag", "convert", "train", "attack", "notebooks", "score", "synth"];

    [Theory]
    [MemberData(nameof(FolderCommands))]
    public async Task An_existing_file_where_a_folder_is_expected_is_refused_and_kept(string command)
    {
        var root = TestDirs.Fresh();
        var d = await Corpus(root);
        var file = Path.Combine(root, "existing.txt");
        File.WriteAllText(file, "keep me");
        var r = command switch
        {
            "tag" => await CliRunner.RunAsync("tag", "--input", d, "--output", file),
            "convert" => await CliRunner.RunAsync("data", "convert", d, "--output", file),
            "train" => await Train(root, file),
            "attack" => await Attack(root, file),
            "notebooks" => await CliRunner.RunAsync("notebooks", "run", Notebook(root), "--output-dir", file),
            "score" => await CliRunner.RunAsync("score", "--input", d, "--output", file, "--llm-endpoint", "http://127.0.0.1:9/v1", "--llm-model", "m"),
            _ => await CliRunner.RunAsync("synth", "refuse", "--input", d, "--output", file, "--endpoint", "toy", "--model", "toy"),
        };
        Assert.Equal(2, r.Code);
        Assert.Contains(file, r.Err);
        Assert.Contains("existing file", r.Err);
        Assert.Equal("keep me", File.ReadAllText(file));
    }

    static async Task<CliRunner.Outcome> Train(string root, string output)
    {
        var docs = Path.Combine(root, "docs.jsonl");
        File.WriteAllLines(docs, Enumerable.Range(0, 10).Select(i => JsonSerializer.Serialize(new { text = $"document {i}" })));
        var yaml = Path.Combine(root, "train.yaml");
        File.WriteAllText(yaml, Training.TrainCommandTests.Yaml(output, docs));
        return await CliRunner.RunAsync("train", "--config", yaml);
    }

    static async Task<CliRunner.Outcome> Attack(string root, string output)
    {
        var prompts = await LoaderTests.WriteJbParquet(root, "jb.parquet");
        return await CliRunner.RunAsync("eval", "attack", "--prompts", prompts, "--generations", prompts, "--output", output);
    }

    internal static string Notebook(string root)
    {
        var nb = Path.Combine(root, "n.ipynb");
        File.WriteAllText(nb, """{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "code", "source": "1+1", "metadata": {}, "outputs": [], "execution_count": null}]}""");
        return nb;
    }

    [Fact]
    public void Guard_refuses_each_case_directly()
    {
        var root = TestDirs.Fresh();
        var input = Path.Combine(root, "in");
        Directory.CreateDirectory(input);
        File.WriteAllText(Path.Combine(root, "f"), "");
        Assert.Throws<BadInputException>(() => OutputGuard.Folder(input, [input]));
        Assert.Throws<BadInputException>(() => OutputGuard.Folder(Path.Combine(input, "x", "y"), [input]));
        Assert.Throws<BadInputException>(() => OutputGuard.Folder(Path.Combine(root, "f"), []));
        Assert.Throws<BadInputException>(() => OutputGuard.SingleFile(Path.Combine(root, "f"), [Path.Combine(root, "f")]));
        Assert.Throws<BadInputException>(() => OutputGuard.SingleFile(input, []));
        Assert.Equal(Path.Combine(input, "sub"), OutputGuard.Folder(Path.Combine(input, "sub"), [input], readsSubfolders: false));
        Assert.Equal(Path.Combine(root, "out"), OutputGuard.Folder(Path.Combine(root, "out"), [input, null, Path.Combine(root, "missing")]));
    }
}
