"""Hugging Face transformers baseline for the decoding-gpu benchmark: generate(num_beams=k) on a randomly initialised
Llama of the given shape; prints 'seconds_per_token X' (median of 3 runs after a warm-up)."""
import argparse, statistics, time

import torch
from transformers import LlamaConfig, LlamaForCausalLM

p = argparse.ArgumentParser()
for name, default in [("vocab", 49152), ("hidden", 960), ("layers", 32), ("heads", 15), ("kv-heads", 5), ("intermediate", 2560),
                      ("head-dim", 64), ("prompt", 128), ("new", 128), ("beams", 4)]:
    p.add_argument("--" + name, type=int, default=default)
p.add_argument("--device", default="cuda")
p.add_argument("--dtype", default="bfloat16")
p.add_argument("--rope-theta", type=float, default=100000.0)
a = p.parse_args()

torch.manual_seed(0)
config = LlamaConfig(vocab_size=a.vocab, hidden_size=a.hidden, num_hidden_layers=a.layers, num_attention_heads=a.heads,
                     num_key_value_heads=a.kv_heads, head_dim=a.head_dim, intermediate_size=a.intermediate, tie_word_embeddings=True,
                     max_position_embeddings=max(2048, a.prompt + a.new + 8), rope_theta=a.rope_theta)
model = LlamaForCausalLM(config).to(device=a.device, dtype=getattr(torch, a.dtype)).eval()
prompt = torch.tensor([[(i * 37 + 11) % (a.vocab - 1) for i in range(a.prompt)]], device=a.device)


def run():
    with torch.no_grad():
        out = model.generate(prompt, num_beams=a.beams, max_new_tokens=a.new, min_new_tokens=a.new, do_sample=False,
                             early_stopping=False, length_penalty=1.0, eos_token_id=None, pad_token_id=0)
    assert out.shape[1] == a.prompt + a.new, out.shape
    if a.device.startswith("cuda"):
        torch.cuda.synchronize()


run()
times = []
for _ in range(3):
    start = time.perf_counter()
    run()
    times.append(time.perf_counter() - start)
print(f"seconds_per_token {statistics.median(times) / a.new}")
