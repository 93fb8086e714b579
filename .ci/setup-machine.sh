#!/usr/bin/env bash
# Prepares this machine for the test suite, idempotently (Debian/Ubuntu; root or sudo): installs the Debian packages
# named in .ci/apt-packages (or given as arguments), then starts every service in .ci/services.d/ (each script is
# called with "start" and must return at once when its service already runs). Called by the test project before
# `dotnet test` runs (see tests/SafetyNotebooks.Tests/MachineSetup.targets) and by .ci/run.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
pkgs=("$@")
[ ${#pkgs[@]} -gt 0 ] || mapfile -t pkgs < <(grep -v '^\s*#' "$here/apt-packages" | grep -v '^\s*$')
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
need=()
for pkg in "${pkgs[@]}"; do dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg"); done
if [ ${#need[@]} -gt 0 ]; then
  echo "setup-machine: installing ${need[*]}"
  # dpkg allows one installer at a time: wait for another one to finish instead of failing
  exec 9>/tmp/safetynb-setup-machine.lock; flock 9
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
shopt -s nullglob
for svc in "$here"/services.d/*.sh; do
  bash "$svc" start || { echo "setup-machine: $(basename "$svc") failed to start" >&2; exit 1; }
done
