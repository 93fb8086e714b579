#!/usr/bin/env bash
# Greedy decoding on the CPU, the toolkit against PyTorch eager (Debian's python3-torch), same weights, 2 threads:
# installs python3-torch when missing (not a test dependency, so not in .ci/apt-packages), builds and runs the benchmark.
# usage: bash bench/decoding-eager.sh [benchmark options, e.g. --new 128 --threads 2]
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/setup-machine.sh python3-torch
# Debian's interpreter: python3-torch installs into /usr/lib/python3, which another python3 on PATH may not see
dotnet run -c Release --project bench/SafetyNotebooks.Bench -- decoding-eager --python /usr/bin/python3 "$@"
