"""Renders chat templates with jinja2 configured as transformers' apply_chat_template (ImmutableSandboxedEnvironment,
trim_blocks, lstrip_blocks, loopcontrols, its tojson and raise_exception) and writes chat-templates.json, the golden
cases of ChatTemplateTests. Run: python3 make_chat_template_golden.py (needs jinja2)."""
import json
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.ext import loopcontrols
from jinja2.exceptions import TemplateError
def raise_exception(m): raise TemplateError(m)
def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)
env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
env.filters["tojson"] = tojson
env.globals["raise_exception"] = raise_exception
T = {}
T["smol"] = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
T["llama2"] = "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}"
T["llama3"] = "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}"
T["stress"] = """{%- set ns = namespace(count=0, sys=none) -%}
{# a comment #}
{% for m in messages %}
    {% if m.role == 'system' %}
        {% set ns.sys = m.content %}
    {% elif m.role in ['user', 'assistant'] %}
        {% set ns.count = ns.count + 1 %}
  [{{ loop.index }}/{{ loop.length }}] {{ m.role | upper }}: {{- ' ' ~ m['content'] | trim }}{% if not loop.last %},{% endif %}

    {% else %}
        {{ raise_exception('bad role ' ~ m.role) }}
    {% endif %}
{% endfor %}
{{- '\\n' -}}
sys={{ ns.sys if ns.sys is not none else 'none' }} turns={{ ns.count }} n={{ messages | length }}
{{ messages[1:] | tojson }} {{ messages[-1]['content'][:3] }} {{ (messages | last).role | lower }}
{% if extra is defined %}extra{% else %}no extra{% endif %} {{ 7 // 2 }} {{ 7 / 2 }} {{ -7 % 3 }} {{ 'ab' * 2 }}
{% for k, v in {'a': 1, 'b': [1, 2.5, true, none]}.items() %}{{ k }}={{ v }}{{ ';' if not loop.last }}{% endfor %}

{% for x in range(5) %}{% if x == 1 %}{% continue %}{% endif %}{% if x == 3 %}{% break %}{% endif %}{{ x }}{% endfor %}
{% if add_generation_prompt %}
<assistant>
{%- endif %}"""
M = {
 "user": [{"role":"user","content":"Hi"}],
 "sys": [{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}],
 "multi": [{"role":"system","content":"Be brief."},{"role":"user","content":"  What is 2+2? "},{"role":"assistant","content":" 4. "},{"role":"user","content":"And \"3+3\"? é"}],
 "bad": [{"role":"user","content":"a"},{"role":"user","content":"b"}],
}
out = []
for tn, t in T.items():
    for mn, msgs in M.items():
        for gen in (True, False):
            try:
                r = env.from_string(t).render(messages=msgs, add_generation_prompt=gen, bos_token="<s>", eos_token="</s>", tools=None, documents=None)
            except TemplateError as e:
                r = "ERROR: " + str(e)
            out.append((tn, mn, gen, r))
json.dump({"templates": T, "messages": M, "cases": out}, open(__file__.replace("make_chat_template_golden.py", "chat-templates.json"), "w"), ensure_ascii=False, indent=1)
