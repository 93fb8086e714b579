#!/usr/bin/env bash
# Every GPU benchmark in one device run (each compares against its PyTorch baseline in the same command).
# Usage on a CUDA machine with PyTorch + transformers, from the repository root: bench/gpu/run.sh
# Without a GPU each script runs at a tiny size on the CPU to prove itself (numbers then mean nothing).
set -uo pipefail
cd "$(dirname "$0")/../.."
rc=0
for script in train encoder decoding; do
  [ -f "bench/gpu/$script.sh" ] || continue
  echo "=== bench/gpu/$script.sh"
  bash "bench/gpu/$script.sh" || rc=1
done
exit $rc
# One device run: the TorchSharp gte-new encoder (gte-base size) and a PyTorch BERT-base of the same size, both scoring
# 512-token chunks in bf16, in the same command; prints both rates and their ratio (goal ≥ 1.0×).
# Usage (repo root, on a CUDA machine with PyTorch + transformers): bench/gpu/run.sh [--tiny] [extra args]
# --tiny runs both at toy size on whatever device is there (proves the scripts on a CPU; not a GPU measurement).
set -euo pipefail
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
# One device run: the toolkit's trainer (TorchSharp on PyTorch's CUDA libtorch) next to the HF transformers + PyTorch
# baseline, same model (SmolLM2-360M shape), bf16, batch 8x2048. Usage on a GPU machine: bench/gpu/run.sh [steps]
# Without a GPU it runs both at a tiny size on the CPU to prove the pipeline (numbers then mean nothing).
set -euo pipefail
STEPS="${1:-12}"
if python3 -c "import torch,sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then
  export SAFETYNB_LIBTORCH_DIR="$(python3 -c 'import torch,os;print(os.path.join(os.path.dirname(torch.__file__),"lib"))')"
  export LD_LIBRARY_PATH="$SAFETYNB_LIBTORCH_DIR:${LD_LIBRARY_PATH:-}"
  dotnet build -c Release bench/SafetyNotebooks.Bench >/dev/null
  echo "== SafetyNotebooks (TorchSharp) =="
  dotnet run -c Release --no-build --project bench/SafetyNotebooks.Bench -- train --size smollm2-360m --device cuda --steps "$STEPS"
  echo "== Hugging Face transformers + PyTorch eager baseline =="
  python3 bench/gpu/baseline_hf.py "$STEPS"
else
  echo "no CUDA device: tiny CPU run of the C# side only (not a GPU measurement)"
  dotnet run -c Release --project bench/SafetyNotebooks.Bench -- train --size tiny --device cpu --batch 2 --seq 64 --steps 4
fi
