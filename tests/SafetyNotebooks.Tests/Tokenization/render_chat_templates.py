"""Renders chat templates with jinja2 configured as transformers' apply_chat_template does (ImmutableSandboxedEnvironment,
trim_blocks, lstrip_blocks, loopcontrols, its tojson, raise_exception and strftime_now). Reads a JSON request on stdin:
{"template": str, "variables": {...}, "cases": [{"messages": [...], "add_generation_prompt": bool}]}; writes a JSON list
of rendered strings (or "ERROR: message")."""
import json, sys
from datetime import datetime
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.ext import loopcontrols
from jinja2.exceptions import TemplateError

def raise_exception(m): raise TemplateError(m)
def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)
def strftime_now(f): return datetime.now().strftime(f)

env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
env.filters["tojson"] = tojson
env.globals["raise_exception"] = raise_exception
env.globals["strftime_now"] = strftime_now
req = json.load(sys.stdin)
template = env.from_string(req["template"])
out = []
for case in req["cases"]:
    try:
        out.append(template.render(messages=case["messages"], add_generation_prompt=case["add_generation_prompt"], tools=None, documents=None, **req["variables"]))
    except TemplateError as e:
        out.append("ERROR: " + str(e))
json.dump(out, sys.stdout, ensure_ascii=False)
