#!/usr/bin/env bash
# One device run: Safe Beam Search vs plain beam search vs the naive Safe Beam (TorchSharp) and HF generate(num_beams=4)
# (bench/SafetyNotebooks.Bench/gpu/hf_beam.py, called from the same command), SmolLM2-360M shape, bf16, 128-token prompt,
# 128 new tokens, k = 4, n = 8. Goals: Safe Beam ≤ 1.3× plain beam per token, ≥ 5× faster than HF, ≥ 10× faster than naive.
# Usage (repo root, on a CUDA machine with PyTorch + transformers): bench/gpu/decoding.sh [--tiny]
# --tiny runs at toy size on the CPU (proves the scripts; not a GPU measurement).
set -euo pipefail
cd "$(dirname "$0")/../.."
args=("$@")
if python3 -c "import torch; assert torch.cuda.is_available()" 2>/dev/null; then
  export SAFETYNB_LIBTORCH_DIR="${SAFETYNB_LIBTORCH_DIR:-$(python3 -c 'import torch, os; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')}"
  export LD_LIBRARY_PATH="$SAFETYNB_LIBTORCH_DIR:${LD_LIBRARY_PATH:-}"
else
  [[ " ${args[*]-} " == *" --tiny "* ]] || args+=(--tiny)
fi
dotnet build -c Release bench/SafetyNotebooks.Bench -v q >/dev/null
dotnet run -c Release --no-build --project bench/SafetyNotebooks.Bench -- decoding-gpu "${args[@]}"
