#!/usr/bin/env python3
"""Rewrites a collab model file into a crafted one whose checksum is right but whose contents
disagree with themselves, as an attacker would: the loader must refuse each with exit 65.

  craft_model.py IN OUT KIND
  KIND: offsets-past-end, offsets-negative, short-factors, long-bias, negative-dim, overflow-dim
  or moved-source:DIR, a model that records a registered data set in DIR (which eval must not
  create or download into)
"""
import json
import struct
import sys
import zlib


def read(path):
    b = open(path, "rb").read()
    assert b[:8] == b"COLLABM1" and b[-4:] == b"END!"
    (n,) = struct.unpack("<Q", b[8:16])
    return json.loads(b[16:16 + n]), b[16 + n:-8]


def write(path, header, body):
    h = json.dumps(header, separators=(",", ":")).encode()
    out = b"COLLABM1" + struct.pack("<Q", len(h)) + h + body
    open(path, "wb").write(out + struct.pack("<I", zlib.crc32(out)) + b"END!")


def main():
    src, dst, kind = sys.argv[1:4]
    h, body = read(src)
    users, items = h["vocabulary"]["users"], h["vocabulary"]["items"]
    offsets_at = users * 4 + items * 4 + h["vocabulary"]["title_bytes"]
    offsets = list(struct.unpack(f"<{users + 1}q", body[offsets_at:offsets_at + (users + 1) * 8]))
    tensors_at = offsets_at + (users + 1) * 8 + h["rated_items"] * 4

    def with_offsets(values):
        return body[:offsets_at] + struct.pack(f"<{users + 1}q", *values) + body[offsets_at + (users + 1) * 8:]

    if kind == "offsets-past-end":
        offsets[-1] = offsets[-1] + 1000000
        body = with_offsets(offsets)
    elif kind == "offsets-negative":
        offsets[2] = -1000
        body = with_offsets(offsets)
    elif kind in ("short-factors", "long-bias"):
        # Rebuild the tables: user_factors one row short, or item_bias five values long.
        at, tables = tensors_at, []
        for t in h["tensors"]:
            n = 1
            for d in t["shape"]:
                n *= d
            tables.append((t, body[at:at + n * 4]))
            at += n * 4
        out = body[:tensors_at]
        for t, data in tables:
            if kind == "short-factors" and t["name"] == "user_factors":
                t["shape"][0] -= 1
                data = data[:-4 * t["shape"][1]]
            if kind == "long-bias" and t["name"] == "item_bias":
                t["shape"][0] += 5
                data = data + b"\0" * 20
            out += data
        body = out
    elif kind == "negative-dim":
        h["tensors"][0]["shape"][0] = -h["tensors"][0]["shape"][0]
    elif kind == "overflow-dim":
        h["tensors"][0]["shape"] = [2 ** 62, 4]
    elif kind.startswith("moved-source:"):
        h["source"] = {"dataset": "ml-latest-small", "data_dir": kind.split(":", 1)[1]}
    else:
        sys.exit(f"unknown kind {kind}")
    write(dst, h, body)


if __name__ == "__main__":
    main()
