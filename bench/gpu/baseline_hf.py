# PyTorch + Hugging Face transformers baseline for bench/gpu: the same SmolLM2-360M-shaped Llama, bf16 autocast over
# fp32 master weights (as the toolkit's trainer), SDPA, batch 8x2048, fused AdamW; prints tokens/s and TFLOP/s.
import sys, time, torch
from transformers import LlamaConfig, LlamaForCausalLM

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 12
batch, seq = 8, 2048
cfg = LlamaConfig(vocab_size=49152, hidden_size=960, intermediate_size=2560, num_hidden_layers=32, num_attention_heads=15,
                  num_key_value_heads=5, head_dim=64, rope_theta=100000.0, rms_norm_eps=1e-5, tie_word_embeddings=True,
                  max_position_embeddings=8192, attn_implementation="sdpa")
torch.manual_seed(0)
model = LlamaForCausalLM(cfg).cuda().train()
opt = torch.optim.AdamW(model.parameters(), lr=3e-4, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.01, fused=True)
data = torch.randint(0, cfg.vocab_size, (steps, batch, seq + 1), device="cuda")
times = []
for s in range(steps):
    torch.cuda.synchronize(); t0 = time.perf_counter()
    with torch.autocast("cuda", dtype=torch.bfloat16):
        logits = model(data[s, :, :-1]).logits
    loss = torch.nn.functional.cross_entropy(logits.float().reshape(-1, cfg.vocab_size), data[s, :, 1:].reshape(-1))
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step(); opt.zero_grad(set_to_none=True)
    torch.cuda.synchronize(); times.append(time.perf_counter() - t0)
t = sorted(times[2:])[len(times[2:]) // 2]
h, q, kv, L, V, I = 960, 15 * 64, 5 * 64, 32, 49152, 2560
flops_per_token = 6 * (L * (h * q + 2 * h * kv + q * h + 3 * h * I) + V * h) + 6 * L * seq * q
tps = batch * seq / t
print(f"pytorch {torch.__version__} on {torch.cuda.get_device_name(0)}: {t*1000:.1f} ms/step, {tps:,.0f} tokens/s, "
      f"{flops_per_token * tps / 1e12:.1f} TFLOP/s, MFU {100 * flops_per_token * tps / 989e12:.1f}% of 989 TFLOP/s, loss {loss.item():.3f}")
