# Independent reference for the LitData golden export (PRETRAINING.md §1.7), written with Python's struct and json
# exactly as litdata's writer lays files out. Documents: the byte-level tokenizer's ids (+ EOS 256, tag 257).
import json, struct, os
docs = [list(b"hello") + [256], [97, 32, 257, 32, 98, 256], [0xC3, 0xA9, 256]]
chunks, target = [[docs[0], docs[1]], [docs[2]]], 64
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "litdata")
entries = []
for i, items in enumerate(chunks):
    offsets = [4 + 4 * (len(items) + 1)]
    for it in items: offsets.append(offsets[-1] + 4 * len(it))
    data = struct.pack("<I", len(items)) + struct.pack(f"<{len(offsets)}I", *offsets) + b"".join(struct.pack(f"<{len(it)}i", *it) for it in items)
    name = f"chunk-0-{i}.bin"
    open(os.path.join(out, name), "wb").write(data)
    entries.append({"chunk_bytes": len(data), "chunk_size": len(items), "dim": sum(map(len, items)), "filename": name})
config = {"chunk_bytes": target, "chunk_size": None, "compression": None, "data_format": ["no_header_tensor:16"],
          "data_spec": json.dumps((1, {"type": None, "context": None, "children_spec": []})), "encryption": None, "item_loader": "TokensLoader"}
with open(os.path.join(out, "index.json"), "w") as f:
    json.dump({"chunks": entries, "config": config, "updated_at": "1764288000.0"}, f, sort_keys=True)
