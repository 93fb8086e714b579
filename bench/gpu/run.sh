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
