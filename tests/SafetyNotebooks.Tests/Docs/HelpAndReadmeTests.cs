using System.CommandLine;
using System.Text.RegularExpressions;
using SafetyNotebooks.Cli;
using SafetyNotebooks.Tests.Foundation;

namespace SafetyNotebooks.Tests.Docs;

/// <summary>
/// The help texts and the README's command lines, checked against the real command tree: every command's --help runs,
/// every option is described in one default style, every `safetynb …` line of the README's bash blocks names real
/// commands and options with values they accept, and every bash block carries a marker: <c>&lt;!-- test: run --&gt;</c>
/// (it runs on the toy world on the CPU, in a fresh folder) or <c>&lt;!-- test: parse-only: REASON --&gt;</c> (it needs
/// a GPU, a cluster, an endpoint, released data or minutes, and says which).
/// </summary>
public class HelpAndReadmeTests
{
    static IEnumerable<Command> AllCommands(Command c) => new[] { c }.Concat(c.Subcommands.SelectMany(AllCommands));

    static string PathOf(Command c, Command root) =>
        c == root ? "" : string.Join(" ", Ancestors(c, root).Reverse().Select(a => a.Name));

    static IEnumerable<Command> Ancestors(Command c, Command root)
    {
        for (var x = c; x is not null && x != root; x = x.Parents.OfType<Command>().FirstOrDefault()) yield return x;
    }

    [Fact]
    public async Task Every_command_has_help_and_every_option_a_description_in_one_default_style()
    {
        var root = SafetyNb.Build();
        var problems = new List<string>();
        foreach (var c in AllCommands(root))
        {
            var path = PathOf(c, root);
            var r = await CliRunner.RunAsync([.. path.Split(' ', StringSplitOptions.RemoveEmptyEntries), "--help"]);
            if (r.Code != 0 || !r.Out.Contains("Usage:", StringComparison.Ordinal)) problems.Add($"'{path} --help': exit {r.Code} {r.Err}");
            if (string.IsNullOrWhiteSpace(c.Description)) problems.Add($"'{path}' has no description");
            foreach (var o in c.Options.Where(o => o.Name is not "--help" and not "-h" and not "--version"))
            {
                if (string.IsNullOrWhiteSpace(o.Description)) problems.Add($"'{path} {o.Name}' has no description");
                else if (Regex.IsMatch(o.Description, @"\(default\b")) problems.Add($"'{path} {o.Name}': write defaults as [default: …]: {o.Description}");
            }
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Theory]
    [InlineData("blend", "--help")]
    [InlineData("data", "blend", "--help")]
    public async Task An_unknown_command_with_help_is_exit_2_naming_it(params string[] args)
    {
        var r = await CliRunner.RunAsync(args);
        Assert.Equal(2, r.Code);
        Assert.Contains("'blend'", r.Err);
    }

    /// <summary>A README bash block: where it starts, its marker (null: none), lines with continuations joined and comments dropped.</summary>
    public sealed record BashBlock(int Line, string? Marker, List<string> Lines)
    {
        public bool Run => Marker == "run";

        /// <summary>The reason after "parse-only:", or null.</summary>
        public string? ParseOnlyReason => Marker is { } m && m.StartsWith("parse-only:", StringComparison.Ordinal) ? m["parse-only:".Length..].Trim() : null;
    }

    /// <summary>The README's ```bash blocks, each with the <c>&lt;!-- test: … --&gt;</c> marker on the line before it.</summary>
    public static List<BashBlock> BashBlocks(string readme)
    {
        var blocks = new List<BashBlock>();
        var lines = readme.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim() != "```bash") continue;
            var marker = i > 0 ? Regex.Match(lines[i - 1].Trim(), @"^<!-- test: (.*) -->$") : Match.Empty;
            var start = i + 1;
            var body = new List<string>();
            var current = "";
            for (i++; i < lines.Length && lines[i].Trim() != "```"; i++)
            {
                var line = lines[i].Trim();
                if (line.EndsWith('\\')) { current += line[..^1] + " "; continue; }
                current += line;
                var code = StripComment(current).Trim();
                if (code.Length > 0) body.Add(code);
                current = "";
            }
            blocks.Add(new BashBlock(start, marker.Success ? marker.Groups[1].Value.Trim() : null, body));
        }
        return blocks;
    }

    // a '#' outside quotes starts a comment
    static string StripComment(string line)
    {
        var quote = '\0';
        for (var i = 0; i < line.Length; i++)
        {
            var ch = line[i];
            if (quote != '\0') { if (ch == quote) quote = '\0'; }
            else if (ch is '"' or '\'') quote = ch;
            else if (ch == '#' && (i == 0 || char.IsWhiteSpace(line[i - 1]))) return line[..i];
        }
        return line;
    }

    /// <summary>Shell-like words: quotes group, [optional] brackets and a|b alternatives reduce to one concrete form.</summary>
    public static List<string> Words(string line)
    {
        var words = new List<string>();
        foreach (Match m in Regex.Matches(line, "\"([^\"]*)\"|'([^']*)'|(\\S+)"))
            words.Add(m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Success ? m.Groups[2].Value : m.Groups[3].Value);
        var concrete = new List<string>();
        foreach (var w in words)
        {
            if (w.StartsWith('[') && w.EndsWith(']') && w.Length > 2 && w[1] == '-') continue; // "[--resume]"
            if (w.StartsWith("[-", StringComparison.Ordinal)) { concrete.Add(w[1..]); continue; } // "[--rate" "0.05]"
            var x = w.EndsWith(']') && !w.StartsWith('[') ? w[..^1] : w;
            concrete.Add(x.Contains('|') && !x.Contains("://") ? x.Split('|')[0] : x);
        }
        return concrete;
    }

    static string Readme() => File.ReadAllText(Path.Combine(TestDirs.RepoRoot(), "README.md"));

    [Fact]
    public void Every_safetynb_line_of_the_README_parses_against_the_real_commands()
    {
        var checkedLines = 0;
        var problems = new List<string>();
        foreach (var block in BashBlocks(Readme()))
            foreach (var line in block.Lines.Where(l => l.StartsWith("safetynb ", StringComparison.Ordinal)))
            {
                if (line.Contains('$') || line.Contains('…')) continue; // shell variables and elisions are not literal usage
                var words = Words(line)[1..];
                var parse = SafetyNb.Build().Parse(words.ToArray());
                checkedLines++;
                if (parse.Errors.Count > 0) problems.Add($"{line}\n   -> {string.Join("; ", parse.Errors.Select(e => e.Message))}");
                else if (parse.UnmatchedTokens.Count > 0) problems.Add($"{line}\n   -> unmatched {string.Join(" ", parse.UnmatchedTokens)}");
            }
        Assert.True(checkedLines >= 30, $"only {checkedLines} README command lines found");
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void Every_README_bash_block_is_marked_to_run_or_parse_only_with_a_reason()
    {
        var blocks = BashBlocks(Readme());
        var unmarked = blocks.Where(b => !b.Run && string.IsNullOrWhiteSpace(b.ParseOnlyReason)).ToList();
        Assert.True(unmarked.Count == 0, "README bash blocks need <!-- test: run --> or <!-- test: parse-only: REASON --> on the line before them:\n"
            + string.Join("\n", unmarked.Select(b => $"  line {b.Line}: {b.Marker ?? "no marker"}: {b.Lines.FirstOrDefault()}")));
        Assert.True(blocks.Count(b => b.Run) >= 5, $"only {blocks.Count(b => b.Run)} blocks run");
    }

    /// <summary>
    /// Lines of a run block that the test's own set-up has done: the suite runs the CLI that this build made, as
    /// <c>safetynb</c> (the same as putting its folder on PATH).
    /// </summary>
    static readonly string[] DoneBySetUp = ["dotnet build src/SafetyNotebooks.Cli", "export PATH=\"$PWD/src/SafetyNotebooks.Cli/bin/safetynb:$PATH\""];

    [Fact]
    public async Task The_README_blocks_marked_to_run_run_on_the_toy_world()
    {
        var blocks = BashBlocks(Readme()).Where(b => b.Run).ToList();
        Assert.NotEmpty(blocks);
        var root = TestDirs.RepoRoot();
        var cli = Path.Combine(root, "src", "SafetyNotebooks.Cli", "bin", "safetynb", "safetynb.dll");
        Assert.True(File.Exists(cli), "build the CLI first: " + cli);
        // a fresh folder with what a clone has beside the README that the blocks name (notebooks/)
        var dir = TestDirs.Fresh();
        CopyFolder(Path.Combine(root, "notebooks"), Path.Combine(dir, "notebooks"));
        foreach (var block in blocks)
            foreach (var line in block.Lines.Where(l => !DoneBySetUp.Contains(l)))
            {
                Assert.True(line.StartsWith("safetynb ", StringComparison.Ordinal), $"README line {block.Line}: a run block holds only safetynb commands: {line}");
                // the built CLI in a fresh folder, as a user runs it: the README's relative paths resolve there
                var psi = new System.Diagnostics.ProcessStartInfo("dotnet") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
                psi.ArgumentList.Add(cli);
                foreach (var w in Words(line)[1..]) psi.ArgumentList.Add(w);
                using var p = System.Diagnostics.Process.Start(psi)!;
                var stdout = p.StandardOutput.ReadToEndAsync();
                var stderr = p.StandardError.ReadToEndAsync();
                await p.WaitForExitAsync();
                Assert.True(p.ExitCode == 0, $"README line {block.Line}: {line}\nexit {p.ExitCode}\n{await stdout}\n{await stderr}");
            }
    }

    static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
    }
}
