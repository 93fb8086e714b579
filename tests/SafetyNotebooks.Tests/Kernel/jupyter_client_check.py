"""Drives the safetynb kernel with the real jupyter_client (Debian's python3-jupyter-client).

Usage: /usr/bin/python3 jupyter_client_check.py KERNEL_NAME WORK_DIR
(JUPYTER_PATH must point at the folder holding kernels/KERNEL_NAME). Prints one line per check; exit 0 when all pass.
"""
import json, os, sys, time
from queue import Empty

from jupyter_client import KernelManager
from jupyter_client.session import Session

name, work = sys.argv[1], sys.argv[2]
failures = []


def check(label, ok, detail=""):
    print(("ok     " if ok else "FAILED ") + label + ("" if ok else f": {detail}"), flush=True)
    if not ok:
        failures.append(label)


def run(kc, code, timeout=30):
    """Executes code; returns (reply content, iopub messages of that request up to its idle status)."""
    msg_id = kc.execute(code)
    outputs, deadline = [], time.time() + timeout
    while time.time() < deadline:
        try:
            msg = kc.get_iopub_msg(timeout=max(0.1, deadline - time.time()))
        except Empty:
            break
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        outputs.append(msg)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    reply = kc.get_shell_msg(timeout=max(1, deadline - time.time()))
    assert reply["parent_header"]["msg_id"] == msg_id
    return reply["content"], outputs


def of_type(outputs, t):
    return [m["content"] for m in outputs if m["msg_type"] == t]


km = KernelManager(kernel_name=name)
started = time.time()
km.start_kernel(cwd=work)
kc = km.client()
kc.start_channels()
try:
    kc.wait_for_ready(timeout=60)
    check(f"kernel ready in {time.time() - started:.1f} s", True)
    info = kc.kernel_info(reply=True, timeout=10)["content"]
    check("kernel_info", info["protocol_version"] == "5.3" and info["language_info"]["name"] == "C#", info)

    # language services: completion, inspection, is_complete
    code = 'var greeting = "hi";\ngreeting.ToUpp'
    comp = kc.complete(code, len(code), reply=True, timeout=30)["content"]
    check("complete", "ToUpper()" in comp["matches"] and comp["cursor_end"] - comp["cursor_start"] == len("ToUpp"), comp)
    insp = kc.inspect("Console.WriteLine", 10, reply=True, timeout=30)["content"]
    check("inspect", insp["found"] and "WriteLine" in insp["data"]["text/plain"], insp)
    kc.is_complete("if (true) {")
    check("is_complete", kc.get_shell_msg(timeout=10)["content"]["status"] == "incomplete")

    # 1. a cell with output: stdout stream, an execute_result, busy/idle around it
    reply, out = run(kc, 'Console.WriteLine("hello from C#");\n6 * 7')
    states = [c["execution_state"] for c in of_type(out, "status")]
    results = of_type(out, "execute_result")
    check("execute: reply ok", reply["status"] == "ok" and reply["execution_count"] == 1, reply)
    check("execute: stdout stream", any("hello from C#" in c["text"] for c in of_type(out, "stream")), out)
    check("execute: execute_result 42", results and results[0]["data"]["text/plain"] == "42" and results[0]["execution_count"] == 1, results)
    check("execute: busy then idle", states[:1] == ["busy"] and states[-1:] == ["idle"], states)

    # 2. an error: error broadcast and an error reply naming the exception
    reply, out = run(kc, 'throw new InvalidOperationException("boom");')
    errors = of_type(out, "error")
    check("error: reply", reply["status"] == "error" and reply["ename"] == "InvalidOperationException" and reply["evalue"] == "boom", reply)
    check("error: broadcast with traceback", errors and errors[0]["evalue"] == "boom" and len(errors[0]["traceback"]) >= 1, errors)

    # input from the user over the stdin channel
    msg_id = kc.execute('var name = await Microsoft.DotNet.Interactive.Kernel.GetInputAsync("Your name?");\n$"hello {name}"', allow_stdin=True)
    request = kc.get_stdin_msg(timeout=30)
    check("stdin: input_request", request["msg_type"] == "input_request" and request["content"]["prompt"] == "Your name?"
          and request["parent_header"]["msg_id"] == msg_id, request)
    kc.input("Ada")
    reply = kc.get_shell_msg(timeout=30)
    check("stdin: the reply is used", reply["content"]["status"] == "ok", reply["content"])
    reply, out = run(kc, "name")
    results = of_type(out, "execute_result")
    check("stdin: value in the cell", results and results[0]["data"]["text/plain"] == "Ada", results)

    # 3. a message signed with the wrong key: dropped, never executed, kernel stays alive
    marker = os.path.join(work, "bad-signature-ran")
    forger = Session(key=b"not-the-key", username="intruder")
    forger.send(kc.shell_channel.socket, "execute_request",
                {"code": f'System.IO.File.WriteAllText(@"{marker}", "ran");', "silent": False, "store_history": True,
                 "user_expressions": {}, "allow_stdin": False, "stop_on_error": True})
    try:
        stray = kc.get_shell_msg(timeout=1.5)
    except Empty:
        stray = None
    check("bad signature: no reply", stray is None, stray)
    reply, out = run(kc, f'System.IO.File.Exists(@"{marker}")')
    results = of_type(out, "execute_result")
    check("bad signature: not executed, kernel alive",
          reply["status"] == "ok" and results and results[0]["data"]["text/plain"] == "False" and not os.path.exists(marker), results)

    # 4. interrupt a long cell through the control channel (interrupt_mode "message")
    msg_id = kc.execute('for (var i = 0; i < 600; i++) { Console.WriteLine($"tick {i}"); System.Threading.Thread.Sleep(100); }')
    deadline = time.time() + 20
    while time.time() < deadline:  # wait until the cell is really running
        msg = kc.get_iopub_msg(timeout=20)
        if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "stream":
            break
    t0 = time.time()
    km.interrupt_kernel()
    reply = kc.get_shell_msg(timeout=10)
    check(f"interrupt: the cell stopped in {time.time() - t0:.2f} s",
          reply["parent_header"]["msg_id"] == msg_id and reply["content"]["status"] == "error", reply["content"])
    reply, out = run(kc, '"after interrupt"')
    results = of_type(out, "execute_result")
    check("interrupt: the next cell runs", reply["status"] == "ok" and results and "after interrupt" in results[0]["data"]["text/plain"], reply)

    # 5. shutdown: the kernel answers and its process exits by itself
    kc.shutdown()
    deadline = time.time() + 10
    while time.time() < deadline and km.is_alive():
        time.sleep(0.05)
    check("shutdown: process exited", not km.is_alive())
finally:
    kc.stop_channels()
    if km.is_alive():
        km.shutdown_kernel(now=True)

print(json.dumps({"failed": failures}))
sys.exit(1 if failures else 0)
