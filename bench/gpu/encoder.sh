#!/usr/bin/env bash
# One device run: the TorchSharp gte-new encoder (gte-base size) and a PyTorch BERT-base of the same size, both scoring
# 512-token chunks in bf16, in the same command; prints both rates and their ratio (goal ≥ 1.0×).
# Usage (repo root, on a CUDA machine with PyTorch + transformers): bench/gpu/encoder.sh [--tiny] [extra args]
# --tiny runs both at toy size on whatever device is there (proves the scripts on a CPU; not a GPU measurement).
set -euo pipefail
cd "$(dirname "$0")/../.."
if python3 -c "import torch; assert torch.cuda.is_available()" 2>/dev/null; then
  export SAFETYNB_LIBTORCH_DIR="${SAFETYNB_LIBTORCH_DIR:-$(python3 -c 'import torch, os; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')}"
  device=cuda
else
  device=cpu
fi
dotnet build -c Release bench/SafetyNotebooks.Bench -v q >/dev/null
ts=$(dotnet run -c Release --no-build --project bench/SafetyNotebooks.Bench -- gte-gpu --device "$device" --dtype bf16 "$@" | tee /dev/stderr | sed -n 's/^RESULT torchsharp_docs_per_s=//p')
pt=$(python3 bench/gpu/bert_base.py --dtype bf16 "$@" | tee /dev/stderr | sed -n 's/^RESULT pytorch_docs_per_s=//p')
python3 -c "print(f'TorchSharp gte / PyTorch BERT-base: {float(\"$ts\") / float(\"$pt\"):.2f}x ($device)')"
