#!/usr/bin/env python3
"""PyTorch eager baseline of the toolkit's Llama (Hugging Face's LlamaForCausalLM semantics), written from the
architecture: RMSNorm in float32, RoPE with rotate_half, grouped-query attention with a KV cache, SwiGLU MLP, tied or
separate LM head. Loads the folder the toolkit wrote (config.json + model.safetensors, read without the safetensors
package), writes the prompt's logits for the equality check, then times greedy decoding under torch.no_grad().

usage: llama_eager.py MODEL_DIR PROMPT_IDS(comma-separated) NEW_TOKENS RUNS THREADS LOGITS_OUT
prints one JSON line: {"tokens": [...], "seconds": [...], "torch": "..."}
"""
import json, math, struct, sys, time
import torch

DTYPES = {"F32": torch.float32, "BF16": torch.bfloat16, "F16": torch.float16}


def load_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        buf = bytearray(data[base + begin:base + end])
        out[name] = torch.frombuffer(buf, dtype=DTYPES[info["dtype"]]).reshape(info["shape"]).float()
    return out


def rms_norm(x, w, eps):
    x32 = x.float()
    return (x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + eps)).to(x.dtype) * w


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat([-x[..., h:], x[..., :h]], -1)


class Llama:
    def __init__(self, cfg, w):
        self.c, self.w = cfg, w
        self.heads, self.kv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
        self.d = cfg.get("head_dim") or cfg["hidden_size"] // self.heads
        self.eps = cfg["rms_norm_eps"]
        self.layers = cfg["num_hidden_layers"]
        self.inv_freq = 1.0 / (torch.tensor(cfg.get("rope_theta", 10000.0), dtype=torch.float32)
                               ** (torch.arange(0, self.d, 2, dtype=torch.int64).float() / self.d))
        self.head = w.get("lm_head.weight", w["model.embed_tokens.weight"])

    def forward(self, ids, cache):
        w, b, t = self.w, ids.shape[0], ids.shape[1]
        past = cache[0][0].shape[2] if cache[0] is not None else 0
        pos = torch.arange(past, past + t).float()
        ang = pos[:, None] * self.inv_freq[None, :]
        emb = torch.cat([ang, ang], -1)
        cos, sin = emb.cos()[None, None], emb.sin()[None, None]
        x = w["model.embed_tokens.weight"][ids]
        for i in range(self.layers):
            p = f"model.layers.{i}."
            h = rms_norm(x, w[p + "input_layernorm.weight"], self.eps)
            q = (h @ w[p + "self_attn.q_proj.weight"].T).view(b, t, self.heads, self.d).transpose(1, 2)
            k = (h @ w[p + "self_attn.k_proj.weight"].T).view(b, t, self.kv, self.d).transpose(1, 2)
            v = (h @ w[p + "self_attn.v_proj.weight"].T).view(b, t, self.kv, self.d).transpose(1, 2)
            q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
            if cache[i] is not None:
                k, v = torch.cat([cache[i][0], k], 2), torch.cat([cache[i][1], v], 2)
            cache[i] = (k, v)
            r = self.heads // self.kv
            kr, vr = k.repeat_interleave(r, 1), v.repeat_interleave(r, 1)
            att = (q @ kr.transpose(-1, -2)) / math.sqrt(self.d)
            if t > 1:
                att = att + torch.full((t, past + t), float("-inf")).triu(past + 1)
            o = (att.softmax(-1) @ vr).transpose(1, 2).reshape(b, t, self.heads * self.d)
            x = x + o @ w[p + "self_attn.o_proj.weight"].T
            h = rms_norm(x, w[p + "post_attention_layernorm.weight"], self.eps)
            m = torch.nn.functional.silu(h @ w[p + "mlp.gate_proj.weight"].T) * (h @ w[p + "mlp.up_proj.weight"].T)
            x = x + m @ w[p + "mlp.down_proj.weight"].T
        return rms_norm(x, w["model.norm.weight"], self.eps) @ self.head.T


def greedy(model, prompt, new):
    cache = [None] * model.layers
    logits = model.forward(torch.tensor([prompt]), cache)
    out = []
    for _ in range(new):
        nxt = int(logits[0, -1].argmax())
        out.append(nxt)
        logits = model.forward(torch.tensor([[nxt]]), cache)
    return out


def main():
    folder, prompt, new, runs, threads, logits_out = sys.argv[1], [int(x) for x in sys.argv[2].split(",")], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
    torch.set_num_threads(threads)
    cfg = json.load(open(f"{folder}/config.json"))
    model = Llama(cfg, load_safetensors(f"{folder}/model.safetensors"))
    with torch.no_grad():
        logits = model.forward(torch.tensor([prompt]), [None] * model.layers)[0].contiguous()
        with open(logits_out, "wb") as f:
            f.write(logits.numpy().astype("<f4").tobytes())
        tokens = greedy(model, prompt, new)  # warm-up
        seconds = []
        for _ in range(runs):
            start = time.perf_counter()
            tokens = greedy(model, prompt, new)
            seconds.append(time.perf_counter() - start)
    print(json.dumps({"tokens": tokens, "seconds": seconds, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
