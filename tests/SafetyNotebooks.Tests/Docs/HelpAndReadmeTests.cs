using System.CommandLine;
using System.Text.RegularExpressions;
using SafetyNotebooks.Cli;
using SafetyNotebooks.Tests.Foundation;

namespace SafetyNotebooks.Tests.Docs;

/// <summary>
/// The help texts and the README's command lines, checked against the real command tree: every command's --help runs,
/// every option is described in one default style, every `safetynb …` line of the README's bash blocks names real
/// commands and options with values they accept, and the blocks marked <c>&lt;!-- test: run --&gt;</c> run on the toy
/// world in a fresh folder.
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

    /// <summary>The README's ```bash blocks: (marked to run?, lines with continuations joined, comments dropped).</summary>
    public static List<(bool Run, List<string> Lines)> BashBlocks(string readme)
    {
        var blocks = new List<(bool, List<string>)>();
        var lines = readme.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim() != "```bash") continue;
            var run = i > 0 && lines[i - 1].Trim() == "<!-- test: run -->";
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
            blocks.Add((run, body));
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
        foreach (var (_, lines) in BashBlocks(Readme()))
            foreach (var line in lines.Where(l => l.StartsWith("safetynb ", StringComparison.Ordinal)))
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
    public async Task The_README_blocks_marked_to_run_run_on_the_toy_world()
    {
        var blocks = BashBlocks(Readme()).Where(b => b.Run).ToList();
        Assert.NotEmpty(blocks);
        var cli = Path.Combine(TestDirs.RepoRoot(), "src", "SafetyNotebooks.Cli", "bin", "safetynb", "safetynb.dll");
        Assert.True(File.Exists(cli), "build the CLI first: " + cli);
        var dir = TestDirs.Fresh();
        foreach (var (_, lines) in blocks)
            foreach (var line in lines)
            {
                Assert.StartsWith("safetynb ", line);
                // the built CLI in a fresh folder, as a user runs it: the README's relative paths resolve there
                var psi = new System.Diagnostics.ProcessStartInfo("dotnet") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
                psi.ArgumentList.Add(cli);
                foreach (var w in Words(line)[1..]) psi.ArgumentList.Add(w);
                using var p = System.Diagnostics.Process.Start(psi)!;
                var stdout = p.StandardOutput.ReadToEndAsync();
                var stderr = p.StandardError.ReadToEndAsync();
                await p.WaitForExitAsync();
                Assert.True(p.ExitCode == 0, $"{line}\nexit {p.ExitCode}\n{await stdout}\n{await stderr}");
            }
    }
}
