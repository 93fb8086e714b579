using System.CommandLine;
using SafetyNotebooks.Data.Toy;
using SafetyNotebooks.Decoding;
using SafetyNotebooks.Serving;
using SafetyNotebooks.Synthesis;

namespace SafetyNotebooks.Cli.Commands;

/// <summary><c>safetynb serve</c>: an OpenAI-compatible server over the toolkit's model and decoding (loopback only).</summary>
public static class ServeCommands
{
    public static Command Build()
    {
        var model = new Option<string>("--model") { Description = "model folder (config.json, model.safetensors, tokenizer.json), or 'toy' for the scripted toy-world synthesizer", Required = true };
        var port = new Option<int>("--port") { Description = "TCP port to listen on", DefaultValueFactory = _ => 8080 }.Within(0, 65535);
        var host = new Option<string>("--host") { Description = "loopback address to listen on", DefaultValueFactory = _ => "127.0.0.1" };
        var maxBody = new Option<long>("--max-body-bytes") { Description = "larger requests get 413", DefaultValueFactory = _ => 1 << 20 }.Within(1L, 1L << 30);
        var parallel = new Option<int>("--max-concurrent") { Description = "generations at once (the rest queue)", DefaultValueFactory = _ => 1 }.Within(1, 1024);
        var maxConnections = new Option<int>("--max-connections") { Description = "requests in progress at once; more get 503 with Retry-After", DefaultValueFactory = _ => 64 }.Within(1, ServerOptions.MaxOpenConnections);
        var maxPerClient = new Option<int>("--max-per-client") { Description = "requests in progress from one client address; more get 429 with Retry-After", DefaultValueFactory = _ => 32 }.Within(1, ServerOptions.MaxOpenConnections);
        var toyDocs = new Option<int>("--toy-docs") { Description = "with --model toy: documents of the toy world it knows", DefaultValueFactory = _ => 2000 }.Within(1, 10_000_000);
        var toySeed = new Option<long>("--toy-seed") { Description = "with --model toy: seed of its toy world", DefaultValueFactory = _ => 0 };
        var tagId = new Option<int?>("--tag-id") { Description = "safe_beam requests: the harmfulness tag's token id [default: the tokenizer's <potentially_unsafe_content>]" };
        var command = new Command("serve", "Serve /v1/chat/completions, /v1/completions and /v1/models on loopback (request field \"safe_beam\" selects Safe Beam Search)")
        {
            model, port, host, maxBody, parallel, maxConnections, maxPerClient, toyDocs, toySeed, tagId, InfoCommands.DeviceOption,
        };
        command.SetHandler(async (parse, output, ct) =>
        {
            var backend = Backends.Open(parse.GetValue(model)!, parse.GetValue(toyDocs), parse.GetValue(toySeed), parse.GetValue(InfoCommands.DeviceOption), parse.GetValue(tagId));
            await using var server = await OpenAiServer.StartAsync(backend, new ServerOptions(parse.GetValue(host)!, parse.GetValue(port),
                parse.GetValue(maxBody), parse.GetValue(parallel), MaxConnections: parse.GetValue(maxConnections), MaxPerClient: parse.GetValue(maxPerClient)), ct);
            output.WriteLine($"serving '{backend.ModelId}' at {server.BaseUrl} (Ctrl+C to stop)");
            try { await Task.Delay(Timeout.Infinite, ct); }
            catch (OperationCanceledException) { }
            output.WriteLine("stopped");
            return ExitCodes.Ok;
        });
        return command;
    }
}

/// <summary>Opens what <c>--model</c> names.</summary>
public static class Backends
{
    public static IServingBackend Open(string model, int toyDocs, long toySeed, string? device, int? tagId = null)
    {
        if (model == "toy")
        {
            if (toyDocs < 1) throw new BadInputException("must be at least 1", "--toy-docs", value: toyDocs.ToString());
            return new ChatClientBackend(new ToyWorldChatClient(ToyWorld.Corpus(toyDocs, new ToyOptions(toySeed))), ToyWorldChatClient.ModelName);
        }
        if (!Directory.Exists(model)) throw new BadInputException("model folder does not exist", "--model", value: model);
        if (!File.Exists(Path.Combine(model, "tokenizer.json"))) throw new BadInputException("the model folder has no tokenizer.json; serving text needs one", "--model", value: model);
        var local = LocalModels.Load(model, device);
        var tag = tagId ?? LocalModelChatClient.TagFromTokenizer(local);
        if (tag is { } t && (t < 0 || t >= local.Model.VocabSize))
            throw new BadInputException($"not in the vocabulary (size {local.Model.VocabSize})", "--tag-id", value: t.ToString());
        return new ChatClientBackend(new LocalModelChatClient(local, tag), local.Name);
    }
}
