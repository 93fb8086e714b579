using System.Text;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using SafetyNotebooks.Notebooks.Jupyter;

namespace SafetyNotebooks.Tests.Kernel;

/// <summary>The Jupyter wire format: framing, HMAC-SHA256 signing, and refusal of anything not signed with the key.</summary>
public class WireFormatTests
{
    static readonly byte[] Key = Encoding.UTF8.GetBytes("a0436f6c-1916-498b-8eb9-e81ab9368e84");

    static JupyterMessage Request(string code) => new(
        [Encoding.UTF8.GetBytes("client-1")], MessageHeader.New("execute_request", "s1"), null, new JsonObject(),
        new JsonObject { ["code"] = code, ["silent"] = false }, []);

    [Property(MaxTest = 200)]
    public Property Encode_then_decode_gives_the_message_back(NonNull<string> code) =>
        (WireFormat.Decode(WireFormat.Encode(Request(code.Get), Key), Key) is Decoded.Ok ok
         && ok.Message.Content["code"]!.GetValue<string>() == code.Get
         && ok.Message.MsgType == "execute_request"
         && Encoding.UTF8.GetString(ok.Message.Identities.Single()) == "client-1").ToProperty();

    [Property(MaxTest = 200)]
    public Property Changing_any_byte_of_a_signed_frame_is_a_bad_signature(NonNull<string> code, PositiveInt frameSeed, PositiveInt byteSeed)
    {
        var frames = WireFormat.Encode(Request(code.Get), Key);
        var at = frames.FindIndex(f => f.AsSpan().SequenceEqual(WireFormat.Delimiter));
        var frame = frames[at + 2 + frameSeed.Get % 4]; // header, parent_header, metadata or content
        frame[byteSeed.Get % frame.Length] ^= 0x01;
        return (WireFormat.Decode(frames, Key) is Decoded.BadSignature).ToProperty();
    }

    [Fact]
    public void A_message_signed_with_another_key_is_refused_before_it_is_parsed()
    {
        var forged = WireFormat.Encode(Request("File.Delete(\"x\")"), Encoding.UTF8.GetBytes("wrong"));
        var decoded = WireFormat.Decode(forged, Key);
        Assert.Equal("execute_request", Assert.IsType<Decoded.BadSignature>(decoded).MsgType);
    }

    [Fact]
    public void An_unsigned_message_is_refused_when_the_connection_has_a_key()
    {
        var unsigned = WireFormat.Encode(Request("1"), []);
        Assert.IsType<Decoded.BadSignature>(WireFormat.Decode(unsigned, Key));
    }

    [Fact]
    public void Signature_is_lowercase_hex_hmac_sha256_of_the_four_json_frames()
    {
        var frames = WireFormat.Encode(Request("1 + 1"), Key);
        var at = frames.FindIndex(f => f.AsSpan().SequenceEqual(WireFormat.Delimiter));
        using var hmac = new System.Security.Cryptography.HMACSHA256(Key);
        var expected = Convert.ToHexStringLower(hmac.ComputeHash(frames.Skip(at + 2).Take(4).SelectMany(f => f).ToArray()));
        Assert.Equal(expected, Encoding.ASCII.GetString(frames[at + 1]));
    }

    [Fact]
    public void Frames_without_a_delimiter_or_with_too_few_parts_are_malformed()
    {
        Assert.IsType<Decoded.Malformed>(WireFormat.Decode([Encoding.UTF8.GetBytes("{}")], Key));
        Assert.IsType<Decoded.Malformed>(WireFormat.Decode([WireFormat.Delimiter, [], "{}"u8.ToArray()], Key));
    }

    [Fact]
    public void Replies_carry_the_request_header_as_parent_and_go_back_to_the_same_identities()
    {
        var request = Request("1");
        var reply = JupyterMessage.Reply(request, "execute_reply", new JsonObject { ["status"] = "ok" });
        Assert.Equal(request.Header, reply.ParentHeader);
        Assert.Equal(request.Identities, reply.Identities);
        Assert.Equal(request.Header.Session, reply.Header.Session);
        Assert.Equal("5.3", reply.Header.Version);
    }
}

public class ConnectionAndSpecTests
{
    static string WriteConnection(string dir, string json)
    {
        var path = Path.Combine(dir, "kernel-1.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void A_connection_file_from_jupyter_client_is_read()
    {
        var path = WriteConnection(Foundation.TestDirs.Fresh(),
            """{"shell_port": 5001, "iopub_port": 5002, "stdin_port": 5003, "control_port": 5004, "hb_port": 5005, "ip": "127.0.0.1", "key": "k", "transport": "tcp", "signature_scheme": "hmac-sha256", "kernel_name": "safetynb"}""");
        var c = ConnectionInfo.Load(path);
        Assert.Equal("tcp://127.0.0.1:5004", c.Address(c.ControlPort));
        Assert.Equal((5001, 5002, 5003, 5005, "k"), (c.ShellPort, c.IopubPort, c.StdinPort, c.HbPort, c.Key));
    }

    [Theory]
    [InlineData("""{"iopub_port": 1, "stdin_port": 2, "control_port": 3, "hb_port": 4, "key": "k"}""", "shell_port")]
    [InlineData("""{"shell_port": 70000, "iopub_port": 1, "stdin_port": 2, "control_port": 3, "hb_port": 4}""", "shell_port")]
    [InlineData("""{"shell_port": 1, "iopub_port": 1, "stdin_port": 2, "control_port": 3, "hb_port": 4, "transport": "ipc"}""", "transport")]
    [InlineData("""{"shell_port": 1, "iopub_port": 1, "stdin_port": 2, "control_port": 3, "hb_port": 4, "key": "k", "signature_scheme": "hmac-md5"}""", "signature_scheme")]
    public async Task A_bad_connection_file_is_exit_2_naming_the_field(string json, string field)
    {
        var path = WriteConnection(Foundation.TestDirs.Fresh(), json);
        var r = await Foundation.CliRunner.RunAsync("kernel", "run", "--connection-file", path);
        Assert.Equal(2, r.Code);
        Assert.Contains(path, r.Err);
        Assert.Contains(field, r.Err);
        Assert.DoesNotContain("   at ", r.Err);
    }

    [Fact]
    public async Task Install_writes_a_kernel_spec_that_starts_this_cli_and_uninstall_removes_it()
    {
        var prefix = Foundation.TestDirs.Fresh();
        var r = await Foundation.CliRunner.RunAsync("kernel", "install", "--prefix", prefix);
        Assert.True(r.Code == 0, r.Err);
        var specPath = Path.Combine(prefix, "share", "jupyter", "kernels", "safetynb", "kernel.json");
        var spec = JsonNode.Parse(File.ReadAllText(specPath))!;
        var argv = spec["argv"]!.AsArray().Select(a => a!.GetValue<string>()).ToArray();
        Assert.True(Path.IsPathRooted(argv[1]) && argv[1].EndsWith("safetynb.dll") && File.Exists(argv[1]), argv[1]);
        Assert.Equal(["kernel", "run", "--connection-file", "{connection_file}"], argv[2..]);
        Assert.Equal("C# (SafetyNotebooks)", spec["display_name"]!.GetValue<string>());
        Assert.Equal("C#", spec["language"]!.GetValue<string>());
        Assert.Equal("message", spec["interrupt_mode"]!.GetValue<string>());

        Assert.Equal(0, (await Foundation.CliRunner.RunAsync("kernel", "uninstall", "--prefix", prefix)).Code);
        Assert.False(Directory.Exists(Path.GetDirectoryName(specPath)));
        var again = await Foundation.CliRunner.RunAsync("kernel", "uninstall", "--prefix", prefix);
        Assert.Equal(2, again.Code);
        Assert.Contains("safetynb", again.Err);
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("with space")]
    public async Task A_kernel_name_outside_jupyters_alphabet_is_exit_2(string name)
    {
        var r = await Foundation.CliRunner.RunAsync("kernel", "install", "--prefix", Foundation.TestDirs.Fresh(), "--name", name);
        Assert.Equal(2, r.Code);
        Assert.Contains("--name", r.Err);
    }

    [Fact]
    public void User_installs_follow_jupyter_data_dir_then_xdg_then_home()
    {
        var user = new KernelSpecLocation.User();
        Assert.Equal("/j/kernels", KernelSpec.KernelsDirectory(user, v => v == "JUPYTER_DATA_DIR" ? "/j" : null));
        Assert.Equal("/x/jupyter/kernels", KernelSpec.KernelsDirectory(user, v => v switch { "XDG_DATA_HOME" => "/x", "HOME" => "/h", _ => null }));
        Assert.Equal("/h/.local/share/jupyter/kernels", KernelSpec.KernelsDirectory(user, v => v == "HOME" ? "/h" : null));
        Assert.Equal("/p/share/jupyter/kernels", KernelSpec.KernelsDirectory(new KernelSpecLocation.Prefix("/p"), _ => "/ignored"));
    }

    [Fact]
    public void Every_notebook_of_the_repository_names_the_default_kernel_spec()
    {
        var notebooks = Directory.GetFiles(Path.Combine(Foundation.TestDirs.RepoRoot(), "notebooks"), "*.ipynb");
        Assert.NotEmpty(notebooks);
        foreach (var nb in notebooks)
        {
            var spec = JsonNode.Parse(File.ReadAllText(nb))!["metadata"]?["kernelspec"];
            Assert.True(spec?["name"]?.GetValue<string>() == KernelSpec.DefaultName, $"{nb}: metadata.kernelspec.name must be '{KernelSpec.DefaultName}'");
            Assert.Equal(KernelSpec.DisplayName, spec!["display_name"]?.GetValue<string>());
        }
    }
}

public class LanguageServiceTests
{
    [Theory]
    [InlineData("var x = 1;", "complete")]
    [InlineData("", "complete")]
    [InlineData("1 + 1", "complete")]
    [InlineData("if (true) {", "incomplete")]
    [InlineData("var s = \"open", "incomplete")]
    public void Is_complete_follows_csharp_script_parsing(string code, string status) =>
        Assert.Equal(status, Replies.IsComplete(code)["status"]!.GetValue<string>());

    [Fact]
    public void Tracebacks_keep_the_cells_frames_and_drop_the_script_engines()
    {
        const string stack = "   at SafetyNotebooks.Experiments.Quickstart(QuickstartOptions o)\n   at Submission#4.<<Initialize>>d__0.MoveNext()\n" +
                             "--- End of stack trace from previous location ---\n" +
                             "   at Microsoft.CodeAnalysis.Scripting.ScriptExecutionState.RunSubmissionsAsync[TResult](ImmutableArray`1 e)";
        Assert.Equal(["   at SafetyNotebooks.Experiments.Quickstart(QuickstartOptions o)", "   at Submission#4.<<Initialize>>d__0.MoveNext()"],
            Replies.UserFrames(stack));
    }

    [Theory]
    [InlineData("ToUpper($1)", "ToUpper()")]
    [InlineData("Substring(${1:startIndex})", "Substring(startIndex)")]
    [InlineData("Length", "Length")]
    public void Completion_snippets_become_plain_text(string snippet, string text) =>
        Assert.Equal(text, Replies.WithoutSnippetMarkers(snippet));

    [Fact]
    public void Cursor_positions_count_code_points_as_jupyter_does()
    {
        var code = "var 😀 = 1;\nCons"; // the emoji is two UTF-16 units but one code point
        var cursor = code.EnumerateRunes().Count();
        var position = Replies.ToLinePosition(code, cursor);
        Assert.Equal((1, 4), (position.Line, position.Character));
        var reply = Replies.Complete(code, cursor, ["Console", "Convert", "Math", "Console"]);
        Assert.Equal(["Console"], reply["matches"]!.AsArray().Select(m => m!.GetValue<string>()));
        Assert.Equal(cursor - 4, reply["cursor_start"]!.GetValue<int>());
        Assert.Equal(cursor, reply["cursor_end"]!.GetValue<int>());
    }
}
