#!/usr/bin/env bash
# One device run: the toolkit's trainer (TorchSharp on PyTorch's CUDA libtorch) next to the HF transformers + PyTorch
# baseline, same model (SmolLM2-360M shape), bf16, batch 8x2048. Usage on a GPU machine: bench/gpu/train.sh [steps]
# Without a GPU it runs both at a tiny size on the CPU to prove the pipeline (numbers then mean nothing).
set -euo pipefail
cd "$(dirname "$0")/../.."
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
