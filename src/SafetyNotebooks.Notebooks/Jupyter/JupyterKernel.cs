using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.Events;
using NetMQ;
using NetMQ.Sockets;

namespace SafetyNotebooks.Notebooks.Jupyter;

/// <summary>
/// A Jupyter kernel (messaging protocol 5.3 over ZeroMQ) on the toolkit's in-process C# engine
/// (<see cref="NotebookKernel"/>). One poller thread owns every socket: it echoes heartbeats, verifies and decodes
/// requests, answers control requests at once (interrupt must not wait behind a running cell) and sends everything
/// queued in the outbox; shell requests run one at a time, in order, on a worker.
/// </summary>
public sealed class JupyterKernel : IDisposable
{
    readonly ConnectionInfo _connection;
    readonly byte[] _key;
    readonly TextWriter _log;
    readonly string _session = Guid.NewGuid().ToString("N");
    readonly RouterSocket _shell = new(), _control = new(), _stdin = new();
    readonly PublisherSocket _iopub = new();
    readonly ResponseSocket _heartbeat = new();
    readonly NetMQQueue<(NetMQSocket Socket, JupyterMessage? Message)> _outbox = new();
    readonly NetMQPoller _poller;
    readonly Channel<JupyterMessage> _shellRequests = Channel.CreateUnbounded<JupyterMessage>(new UnboundedChannelOptions { SingleReader = true });
    readonly TaskCompletionSource<bool> _shutdown = new(TaskCreationOptions.RunContinuationsAsynchronously);
    CompositeKernel? _engine;
    Thread? _engineThread;
    int _executionCount;
    volatile TaskCompletionSource? _interrupt; // set while a cell runs; completing it interrupts the cell

    public JupyterKernel(ConnectionInfo connection, TextWriter log)
    {
        _connection = connection;
        _key = Encoding.UTF8.GetBytes(connection.Key);
        _log = log;
        _poller = new NetMQPoller { _shell, _control, _stdin, _heartbeat, _outbox };
        _heartbeat.ReceiveReady += (_, e) => { var frames = e.Socket.ReceiveMultipartBytes(); e.Socket.SendMultipartBytes(frames); };
        _shell.ReceiveReady += (_, e) => { if (Receive(e.Socket, "shell") is { } m) _shellRequests.Writer.TryWrite(m); };
        _control.ReceiveReady += (_, e) => { if (Receive(e.Socket, "control") is { } m) OnControl(m); };
        _stdin.ReceiveReady += (_, e) =>
        {
            if (Receive(e.Socket, "stdin") is { MsgType: "input_reply" } reply)
                _pendingInput?.TrySetResult(reply.Content["value"]?.GetValue<string>() ?? "");
        };
        _outbox.ReceiveReady += (_, e) =>
        {
            while (e.Queue.TryDequeue(out var item, TimeSpan.Zero))
            {
                if (item.Message is null) { _poller.StopAsync(); return; } // the stop marker: everything before it has been sent
                item.Socket.SendMultipartBytes(WireFormat.Encode(item.Message, _key));
            }
        };
    }

    /// <summary>Binds the sockets, starts the engine and serves until a shutdown_request (or <paramref name="cancel"/>).</summary>
    public async Task RunAsync(CancellationToken cancel = default)
    {
        foreach (var (socket, port) in new (NetMQSocket, int)[]
                 {
                     (_shell, _connection.ShellPort), (_control, _connection.ControlPort), (_stdin, _connection.StdinPort),
                     (_iopub, _connection.IopubPort), (_heartbeat, _connection.HbPort),
                 })
        {
            socket.Options.Linger = TimeSpan.FromSeconds(1);
            socket.Bind(_connection.Address(port));
        }
        _poller.RunAsync("jupyter-sockets");
        // Jupyter starts a kernel process in its notebook's folder: read it once, for the cells' NotebookFolder
        _engine = await NotebookKernel.CreateAsync(Directory.GetCurrentDirectory());
        _engine.KernelEvents.Subscribe(new EventObserver(this));
        // The engine runs every cell on its scheduler's own thread; remember it so an interrupt can wake it.
        var probe = await _engine.SendAsync(new SubmitCode("System.Threading.Thread.CurrentThread", "csharp"));
        _engineThread = probe.Events.OfType<ReturnValueProduced>().FirstOrDefault()?.Value as Thread;
        // Kernel.GetInputAsync in a cell sends RequestInput to the root kernel: ask the client over the stdin channel.
        _engine.RegisterCommandHandler<RequestInput>(async (command, context) =>
            context.Publish(new InputProduced(await AskForInputAsync(command.Prompt, command.IsPassword), command)));
        _log.WriteLine($"[safetynb kernel] ready: shell {_connection.Address(_connection.ShellPort)}, protocol {MessageHeader.ProtocolVersion}");
        Publish(null, "status", new JsonObject { ["execution_state"] = "starting" });

        var worker = ServeShellAsync();
        using (cancel.Register(() => _shutdown.TrySetResult(false)))
            await _shutdown.Task;
        _shellRequests.Writer.TryComplete();
        _interrupt?.TrySetResult();
        _pendingInput?.TrySetCanceled();
        await Task.WhenAny(worker, Task.Delay(TimeSpan.FromSeconds(2)));
        _outbox.Enqueue((_iopub, null)); // after the shutdown_reply and the last status: the poller sends them, then stops
        for (var i = 0; i < 100 && _poller.IsRunning; i++) await Task.Delay(20);
    }

    JupyterMessage? Receive(NetMQSocket socket, string channel)
    {
        var frames = socket.ReceiveMultipartBytes();
        switch (WireFormat.Decode(frames, _key))
        {
            case Decoded.Ok ok:
                return ok.Message;
            case Decoded.BadSignature bad:
                _log.WriteLine($"[safetynb kernel] dropped a {bad.MsgType} message on {channel}: invalid HMAC signature");
                return null;
            case Decoded.Malformed m:
                _log.WriteLine($"[safetynb kernel] dropped a malformed message on {channel}: {m.Reason}");
                return null;
            default:
                return null;
        }
    }

    void Send(NetMQSocket socket, JupyterMessage message) => _outbox.Enqueue((socket, message));

    void Publish(JupyterMessage? parent, string msgType, JsonObject content) =>
        Send(_iopub, JupyterMessage.Broadcast(parent, _session, msgType, content));

    void Status(JupyterMessage parent, string state) => Publish(parent, "status", new JsonObject { ["execution_state"] = state });

    // Runs on the poller thread: nothing here may block.
    void OnControl(JupyterMessage request)
    {
        Status(request, "busy");
        switch (request.MsgType)
        {
            case "interrupt_request":
                var running = _interrupt;
                running?.TrySetResult();
                _pendingInput?.TrySetCanceled();
                _log.WriteLine($"[safetynb kernel] interrupt_request: {(running is null ? "no cell is running" : "interrupting the running cell")}");
                Send(_control, JupyterMessage.Reply(request, "interrupt_reply", new JsonObject { ["status"] = "ok" }));
                break;
            case "shutdown_request":
                Shutdown(_control, request);
                break;
            case "kernel_info_request":
                Send(_control, JupyterMessage.Reply(request, "kernel_info_reply", Replies.KernelInfo()));
                break;
            default:
                Unsupported(_control, request);
                break;
        }
        Status(request, "idle");
    }

    void Shutdown(NetMQSocket socket, JupyterMessage request)
    {
        var restart = request.Content["restart"] is JsonValue v && v.TryGetValue<bool>(out var r) && r;
        _log.WriteLine($"[safetynb kernel] shutdown_request (restart: {restart})");
        Send(socket, JupyterMessage.Reply(request, "shutdown_reply", new JsonObject { ["status"] = "ok", ["restart"] = restart }));
        _shutdown.TrySetResult(true);
    }

    void Unsupported(NetMQSocket socket, JupyterMessage request)
    {
        _log.WriteLine($"[safetynb kernel] unsupported message type {request.MsgType}");
        if (request.MsgType.EndsWith("_request", StringComparison.Ordinal))
            Send(socket, JupyterMessage.Reply(request, request.MsgType.Replace("_request", "_reply"),
                new JsonObject { ["status"] = "error", ["ename"] = "NotImplemented", ["evalue"] = $"{request.MsgType} is not supported by this kernel", ["traceback"] = new JsonArray() }));
    }

    async Task ServeShellAsync()
    {
        await foreach (var request in _shellRequests.Reader.ReadAllAsync())
        {
            Status(request, "busy");
            try
            {
                await HandleShellAsync(request);
            }
            catch (Exception e)
            {
                _log.WriteLine($"[safetynb kernel] {request.MsgType} failed: {e.GetType().Name}: {e.Message}");
            }
            Status(request, "idle");
        }
    }

    async Task HandleShellAsync(JupyterMessage request)
    {
        string Code() => request.Content["code"]?.GetValue<string>() ?? "";
        int Cursor() => request.Content["cursor_pos"]?.GetValue<int>() ?? Code().Length;
        switch (request.MsgType)
        {
            case "execute_request":
                await ExecuteAsync(request);
                break;
            case "kernel_info_request":
                Send(_shell, JupyterMessage.Reply(request, "kernel_info_reply", Replies.KernelInfo()));
                break;
            case "is_complete_request":
                Send(_shell, JupyterMessage.Reply(request, "is_complete_reply", Replies.IsComplete(Code())));
                break;
            case "complete_request":
                Send(_shell, JupyterMessage.Reply(request, "complete_reply", await CompleteAsync(Code(), Cursor())));
                break;
            case "inspect_request":
                Send(_shell, JupyterMessage.Reply(request, "inspect_reply", await InspectAsync(Code(), Cursor())));
                break;
            case "comm_info_request":
                Send(_shell, JupyterMessage.Reply(request, "comm_info_reply", new JsonObject { ["status"] = "ok", ["comms"] = new JsonObject() }));
                break;
            case "history_request":
                Send(_shell, JupyterMessage.Reply(request, "history_reply", new JsonObject { ["status"] = "ok", ["history"] = new JsonArray() }));
                break;
            case "comm_open": // no comm targets: close it, as the protocol asks
                Publish(request, "comm_close", new JsonObject { ["comm_id"] = request.Content["comm_id"]?.DeepClone(), ["data"] = new JsonObject() });
                break;
            case "comm_msg" or "comm_close":
                break;
            case "shutdown_request": // deprecated on shell, still sent by some clients
                Shutdown(_shell, request);
                break;
            default:
                Unsupported(_shell, request);
                break;
        }
    }

    // ---- execution -------------------------------------------------------------------------------------------------

    volatile JupyterMessage? _running; // the execute_request whose outputs are being published (worker thread writes, engine events read)
    volatile JupyterMessage? _executing; // the execute_request being run, silent or not
    volatile TaskCompletionSource<string>? _pendingInput; // an input_request waiting for its input_reply

    async Task<string> AskForInputAsync(string prompt, bool password)
    {
        if (_executing is not { } request || request.Content["allow_stdin"] is not JsonValue a || !a.TryGetValue<bool>(out var allowed) || !allowed)
            throw new InvalidOperationException("this Jupyter client does not accept input (allow_stdin is false)");
        var reply = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pendingInput = reply;
        try
        {
            // Routed to the client by the identities of its shell request, as the protocol prescribes.
            Send(_stdin, new JupyterMessage(request.Identities, MessageHeader.New("input_request", request.Header.Session), request.Header,
                new JsonObject(), new JsonObject { ["prompt"] = prompt, ["password"] = password }, []));
            return await reply.Task;
        }
        finally
        {
            _pendingInput = null;
        }
    }

    async Task ExecuteAsync(JupyterMessage request)
    {
        var code = request.Content["code"]?.GetValue<string>() ?? "";
        var silent = request.Content["silent"] is JsonValue s && s.TryGetValue<bool>(out var sv) && sv;
        var storeHistory = !silent && (request.Content["store_history"] is not JsonValue h || !h.TryGetValue<bool>(out var hv) || hv);
        var stopOnError = request.Content["stop_on_error"] is not JsonValue e || !e.TryGetValue<bool>(out var ev) || ev;
        if (storeHistory) _executionCount++;
        var count = _executionCount;
        if (!silent) Publish(request, "execute_input", new JsonObject { ["code"] = code, ["execution_count"] = count });

        JsonObject? error = null;
        if (!string.IsNullOrWhiteSpace(code))
        {
            var interrupt = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _running = silent ? null : request;
            _executing = request;
            _interrupt = interrupt;
            try
            {
                var run = _engine!.SendAsync(new SubmitCode(code, "csharp"));
                if (await Task.WhenAny(run, interrupt.Task) == run)
                {
                    if ((await run).Events.OfType<CommandFailed>().FirstOrDefault() is { } failed) error = Replies.Error(failed);
                }
                else
                {
                    error = await InterruptAsync(run);
                }
            }
            finally
            {
                _interrupt = null;
                _running = null;
                _executing = null;
            }
        }

        if (error is null)
        {
            Send(_shell, JupyterMessage.Reply(request, "execute_reply", new JsonObject
            {
                ["status"] = "ok", ["execution_count"] = count, ["user_expressions"] = new JsonObject(), ["payload"] = new JsonArray(),
            }));
            return;
        }
        if (!silent) Publish(request, "error", (JsonObject)error.DeepClone());
        var reply = (JsonObject)error.DeepClone();
        reply["status"] = "error";
        reply["execution_count"] = count;
        Send(_shell, JupyterMessage.Reply(request, "execute_reply", reply));
        if (stopOnError) AbortQueuedExecutions();
    }

    /// <summary>
    /// .NET cannot abort a thread. Cells run on the engine's one scheduler thread, so an interrupt wakes that thread
    /// with <see cref="Thread.Interrupt"/> whenever it sleeps or waits (ThreadInterruptedException ends the cell, much
    /// like KeyboardInterrupt in Python). A cell that only computes cannot be stopped: the reply says so, and the next
    /// cell runs when it ends (or after a kernel restart).
    /// </summary>
    async Task<JsonObject> InterruptAsync(Task<KernelCommandResult> run)
    {
        var deadline = DateTime.UtcNow + InterruptGrace;
        while (!run.IsCompleted && DateTime.UtcNow < deadline)
        {
            if (_engineThread is { } t && (t.ThreadState & ThreadState.WaitSleepJoin) != 0) t.Interrupt();
            await Task.WhenAny(run, Task.Delay(20));
        }
        if (run.IsCompleted)
            return Replies.Error("KernelInterrupted", "the cell was interrupted", ["KernelInterrupted: the cell was interrupted (interrupt_request)"]);
        _ = _engine!.SendAsync(new Cancel());
        var message = $"interrupt requested, but the cell neither sleeps nor waits, so it is still running; the next cell starts when it ends (restart the kernel to stop it now)";
        _log.WriteLine($"[safetynb kernel] {message}");
        return Replies.Error("KernelInterrupted", message, [$"KernelInterrupted: {message}"]);
    }

    static readonly TimeSpan InterruptGrace = TimeSpan.FromSeconds(3);

    // After a failing cell the cells already queued behind it are answered "aborted" rather than run (stop_on_error).
    void AbortQueuedExecutions()
    {
        var keep = new List<JupyterMessage>();
        while (_shellRequests.Reader.TryRead(out var queued))
        {
            if (queued.MsgType != "execute_request") { keep.Add(queued); continue; }
            Status(queued, "busy");
            Send(_shell, JupyterMessage.Reply(queued, "execute_reply", new JsonObject { ["status"] = "aborted", ["execution_count"] = _executionCount }));
            Status(queued, "idle");
        }
        foreach (var m in keep) _shellRequests.Writer.TryWrite(m);
    }

    // this kernel session's first chart carries plotly.js; later ones reuse it
    readonly PlotlyOnce _plotly = new();

    JsonObject Bundle(DisplayEvent d)
    {
        var data = Replies.MimeBundle(d);
        if (data["text/html"] is JsonValue v && v.TryGetValue<string>(out var html)) data["text/html"] = _plotly.Apply(html);
        return data;
    }

    void OnEngineEvent(KernelEvent ev)
    {
        if (_running is not { } parent) return;
        switch (ev)
        {
            case StandardOutputValueProduced o:
                Publish(parent, "stream", new JsonObject { ["name"] = "stdout", ["text"] = o.FormattedValues.First().Value });
                break;
            case StandardErrorValueProduced e:
                Publish(parent, "stream", new JsonObject { ["name"] = "stderr", ["text"] = e.FormattedValues.First().Value });
                break;
            case ErrorProduced:
                break; // reported once, from CommandFailed
            case ReturnValueProduced r:
                Publish(parent, "execute_result", new JsonObject { ["data"] = Bundle(r), ["metadata"] = new JsonObject(), ["execution_count"] = _executionCount });
                break;
            case DisplayedValueUpdated u:
                Publish(parent, "update_display_data", new JsonObject
                {
                    ["data"] = Bundle(u), ["metadata"] = new JsonObject(), ["transient"] = new JsonObject { ["display_id"] = u.ValueId },
                });
                break;
            case DisplayEvent d:
                var content = new JsonObject { ["data"] = Bundle(d), ["metadata"] = new JsonObject() };
                if (d.ValueId is { } id) content["transient"] = new JsonObject { ["display_id"] = id };
                Publish(parent, "display_data", content);
                break;
        }
    }

    sealed class EventObserver(JupyterKernel owner) : IObserver<KernelEvent>
    {
        public void OnNext(KernelEvent value) => owner.OnEngineEvent(value);
        public void OnError(Exception error) => owner._log.WriteLine($"[safetynb kernel] engine event stream failed: {error.Message}");
        public void OnCompleted() { }
    }

    // ---- language services ----------------------------------------------------------------------------------------

    async Task<JsonObject> CompleteAsync(string code, int cursor)
    {
        var result = await _engine!.SendAsync(new RequestCompletions(code, Replies.ToLinePosition(code, cursor), "csharp"));
        var items = result.Events.OfType<CompletionsProduced>().SelectMany(c => c.Completions).Select(c => Replies.WithoutSnippetMarkers(c.InsertText ?? c.DisplayText));
        return Replies.Complete(code, cursor, items);
    }

    async Task<JsonObject> InspectAsync(string code, int cursor)
    {
        var result = await _engine!.SendAsync(new RequestHoverText(code, Replies.ToLinePosition(code, cursor), "csharp"));
        var data = new JsonObject();
        foreach (var f in result.Events.OfType<HoverTextProduced>().SelectMany(h => h.Content))
            if (!data.ContainsKey(f.MimeType)) data[f.MimeType] = f.Value;
        if (data.Count > 0 && !data.ContainsKey("text/plain") && data["text/markdown"] is { } md) data["text/plain"] = md.DeepClone();
        return new JsonObject { ["status"] = "ok", ["found"] = data.Count > 0, ["data"] = data, ["metadata"] = new JsonObject() };
    }

    public void Dispose()
    {
        if (_poller.IsRunning) _poller.Stop();
        _poller.Dispose();
        foreach (var socket in new NetMQSocket[] { _shell, _control, _stdin, _iopub, _heartbeat }) socket.Dispose();
        _outbox.Dispose();
        _engine?.Dispose();
    }
}
