using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using SafetyNotebooks.Decoding;
using SafetyNotebooks.Tokenization;
using Xunit.Abstractions;

namespace SafetyNotebooks.Tests.Tokenization;

/// <summary>
/// The real chat templates of the model families, rendered by our Jinja engine and by Python's jinja2 configured as
/// transformers does (render_chat_templates.py), with the special tokens transformers passes (bos, eos, unk, pad …).
/// Each conversation must render identically, or be refused as a template error; nothing may render differently.
/// </summary>
public sealed class FamilyChatTemplateTests(ITestOutputHelper output)
{
    static readonly ChatTurn[][] Conversations =
    [
        [new("user", "Hi")],
        [new("system", "Be brief."), new("user", "  What is 2+2? \u001C\u001F")],
        [new("user", "\u001E\tpadded\u00A0 "), new("assistant", " 4. \u001D"), new("user", "And \"3+3\"? é 😀")],
        [new("system", "  "), new("user", "a"), new("assistant", "b"), new("user", "<|im_start|> <bos> c")],
        [new("user", "a"), new("user", "b")],
    ];

    [Theory]
    [InlineData("llama3")]
    [InlineData("llama3_1")]
    [InlineData("qwen3")]
    [InlineData("gemma3")]
    [InlineData("deepseek_v3")]
    public void Chat_templates_render_as_jinja2_in_transformers(string family)
    {
        var tok = HfTokenizer.Load(FamilyFixtures.Folder(family));
        Assert.NotNull(tok.ChatTemplate);
        var config = FamilyFixtures.Json(family, "tokenizer_config.json");
        var variables = new JsonObject();
        foreach (var name in new[] { "bos_token", "eos_token", "unk_token", "pad_token", "sep_token", "cls_token", "mask_token" })
            if (config[name] switch { JsonValue v => v.GetValue<string>(), JsonObject o => o["content"]?.GetValue<string>(), _ => null } is { } text)
                variables[name] = text;
        var cases = Conversations.SelectMany(c => new[] { true, false }.Select(g => (Turns: c, Generate: g))).ToList();
        var expected = Jinja2(tok.ChatTemplate!, variables, cases);
        var exact = 0; var refused = 0;
        for (var i = 0; i < cases.Count; i++)
        {
            string ours;
            try { ours = tok.ApplyChatTemplate(cases[i].Turns, cases[i].Generate); }
            catch (BadInputException e)
            {
                refused++;
                output.WriteLine($"case {i}: refused ({e.Message}); jinja2: {Short(expected[i])}");
                if (expected[i].StartsWith("ERROR: ", StringComparison.Ordinal)) Assert.Contains(expected[i]["ERROR: ".Length..], e.Message);
                continue;
            }
            Assert.Equal(expected[i], ours);
            exact++;
        }
        output.WriteLine($"{family}: {exact} exact, {refused} refused of {cases.Count}");
        Assert.True(exact >= cases.Count - 2, $"{family}: only {exact} of {cases.Count} rendered");
    }

    static string Short(string s) => s.Length > 120 ? s[..120] + "…" : s;

    static List<string> Jinja2(string template, JsonObject variables, List<(ChatTurn[] Turns, bool Generate)> cases)
    {
        var request = new JsonObject
        {
            ["template"] = template,
            ["variables"] = variables,
            ["cases"] = new JsonArray(cases.Select(c => (JsonNode)new JsonObject
            {
                ["messages"] = new JsonArray(c.Turns.Select(t => (JsonNode)new JsonObject { ["role"] = t.Role, ["content"] = t.Content }).ToArray()),
                ["add_generation_prompt"] = c.Generate,
            }).ToArray()),
        };
        var script = Path.Combine(Foundation.TestDirs.RepoRoot(), "tests", "SafetyNotebooks.Tests", "Tokenization", "render_chat_templates.py");
        var psi = new ProcessStartInfo("/usr/bin/python3", [script]) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.StandardOutputEncoding = System.Text.Encoding.UTF8;
        psi.Environment["PYTHONIOENCODING"] = "utf-8";
        using var p = Process.Start(psi)!;
        p.StandardInput.Write(request.ToJsonString());
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, stderr);
        return JsonSerializer.Deserialize<List<string>>(stdout.Result)!;
    }
}
