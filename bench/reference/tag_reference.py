#!/usr/bin/env python3
"""Reference implementation of harmfulness-tag annotation (Algorithm 1, issue 4's exact semantics).

Plain Python 3, standard library only. It is the yardstick for the C# tagger: a test checks that both give
byte-identical output, and the benchmark compares their throughput on the same input.

Input and output are JSON Lines: one object per document with "id", "text" and a score field. The output keeps
every field, replaces "text" with the tagged text and adds "tag_count".

    python3 tag_reference.py --input docs.jsonl --output tagged.jsonl [--rate 0.05] [--seed 42]
        [--min-score 1] [--tag STRING] [--score-field safety_score] [--bench]

With --bench it prints {"bytes": N, "seconds": S, "cpu_seconds": C} for the tagging alone (JSON parsing and writing excluded).
"""
import argparse
import json
import re
import sys
import time

MASK64 = (1 << 64) - 1
DEFAULT_TAG = "<potentially_unsafe_content>"

# A word: a maximal run of bytes that are not ASCII whitespace (0x20, 0x09-0x0D).
WORD = re.compile(rb"[^\x20\x09-\x0d]+")


def fnv1a64(data: bytes) -> int:
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & MASK64
    return h


class SplitMix64:
    def __init__(self, state: int):
        self.state = state & MASK64

    def next(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def uniform(self) -> float:
        return (self.next() >> 11) * 2.0 ** -53


def tag_text(text: bytes, doc_id: bytes, rate: float, seed: int, tag: bytes):
    """Returns (tagged bytes, number of tags inserted). Word 1 gets no draw; each later word draws once."""
    rng = SplitMix64(seed ^ fnv1a64(doc_id))
    marker = tag + b" "
    parts = []
    copied = 0
    count = 0
    words = WORD.finditer(text)
    if next(words, None) is None:
        return text, 0
    for word in words:
        if rng.uniform() < rate:
            start = word.start()
            parts.append(text[copied:start])
            parts.append(marker)
            copied = start
            count += 1
    parts.append(text[copied:])
    return b"".join(parts), count


def score_of(doc: dict, field: str):
    value = doc
    for part in field.split("."):
        if not isinstance(value, dict) or part not in value:
            raise SystemExit(f"error: document {doc.get('id')!r} has no field {field!r}")
        value = value[part]
    if value is None:
        raise SystemExit(f"error: document {doc.get('id')!r} has a missing {field!r}")
    return int(value)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--input", required=True)
    ap.add_argument("--output", required=True)
    ap.add_argument("--rate", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--min-score", type=int, default=1)
    ap.add_argument("--tag", default=DEFAULT_TAG)
    ap.add_argument("--score-field", default="safety_score")
    ap.add_argument("--bench", action="store_true")
    args = ap.parse_args(argv)
    if not 0.0 <= args.rate <= 1.0:
        print(f"error: --rate must be between 0 and 1, got {args.rate}", file=sys.stderr)
        return 2

    with open(args.input, encoding="utf-8") as f:
        docs = [json.loads(line) for line in f if line.strip()]
    inputs = [(d["text"].encode("utf-8"), str(d["id"]).encode("utf-8"), score_of(d, args.score_field)) for d in docs]
    tag = args.tag.encode("utf-8")

    started, cpu_started = time.perf_counter(), time.process_time()
    results = [tag_text(text, doc_id, args.rate, args.seed, tag) if score >= args.min_score else (text, 0)
               for text, doc_id, score in inputs]
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started

    with open(args.output, "w", encoding="utf-8", newline="\n") as f:
        for doc, (text, count) in zip(docs, results):
            out = dict(doc)
            out["text"] = text.decode("utf-8")
            out["tag_count"] = count
            f.write(json.dumps(out, ensure_ascii=False) + "\n")
    if args.bench:
        print(json.dumps({"bytes": sum(len(t) for t, _, _ in inputs), "seconds": seconds, "cpu_seconds": cpu_seconds}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
