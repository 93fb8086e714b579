"""PyTorch baseline for bench/gpu/run.sh: a BERT-base classifier (random weights, Hugging Face transformers) scoring
512-token chunks, one chunk per document, batch 32, same protocol as the TorchSharp `gte-gpu` benchmark
(median of 3 timed passes after 1 warm-up). Prints RESULT pytorch_docs_per_s=..."""
import argparse, statistics, time

import torch
from transformers import BertConfig, BertForSequenceClassification

p = argparse.ArgumentParser()
p.add_argument("--docs", type=int, default=2048)
p.add_argument("--batch", type=int, default=32)
p.add_argument("--dtype", default="bf16")
p.add_argument("--tiny", action="store_true")
a = p.parse_args()
device = "cuda" if torch.cuda.is_available() else "cpu"
dtype = torch.bfloat16 if a.dtype == "bf16" else torch.float32
cfg = BertConfig(num_labels=6, attn_implementation="sdpa") if not a.tiny else BertConfig(
    hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128, max_position_embeddings=64,
    num_labels=6, attn_implementation="sdpa")
length = cfg.max_position_embeddings if a.tiny else 512
torch.manual_seed(0)
model = BertForSequenceClassification(cfg).to(device=device, dtype=dtype).eval()
ids = torch.randint(1000, 30000, (a.batch, length), device=device)
mask = torch.ones_like(ids)

def one_pass():
    with torch.no_grad():
        for _ in range(0, a.docs, a.batch):
            model(input_ids=ids, attention_mask=mask).logits.argmax(-1).cpu()
    if device == "cuda":
        torch.cuda.synchronize()

one_pass()
times = []
for _ in range(3):
    t = time.perf_counter(); one_pass(); times.append(time.perf_counter() - t)
rate = a.docs / statistics.median(times)
print(f"PyTorch {torch.__version__} BERT-base{' tiny' if a.tiny else ''} {length}-token chunks, batch {a.batch}, {dtype} on {device}: {rate:.2f} docs/s")
print(f"RESULT pytorch_docs_per_s={rate:.2f}")
