#!/usr/bin/env python3
"""Reads the trial queue of `collab tune --nproc` from the ranks' c10d FileStore (a log of
records, each a key and a value after its 4-byte little-endian length; the last record of a key wins).

  store_trials.py STORE RANK   prints the first trial RANK owns that has no result yet (nothing
                               when there is none), so that a test can kill that rank mid-trial
"""
import struct
import sys


def read_store(path):
    try:
        data = open(path, "rb").read()
    except OSError:  # not made yet, or removed with its folder
        return {}
    values, pos = {}, 0
    while pos + 4 <= len(data):
        (n,) = struct.unpack_from("<I", data, pos)
        if pos + 4 + n + 4 > len(data):
            break  # a record being written
        key = data[pos + 4 : pos + 4 + n]
        pos += 4 + n
        (m,) = struct.unpack_from("<I", data, pos)
        if pos + 4 + m > len(data):
            break
        values[key.decode("utf-8", "replace")] = data[pos + 4 : pos + 4 + m]
        pos += 4 + m
    return values


def main():
    store, rank = sys.argv[1], sys.argv[2]
    values = read_store(store)
    prefix = "/collab/kv/tune/"
    owned = []
    for key, value in values.items():
        if key.startswith(prefix + "owner/"):
            trial = int(key[len(prefix + "owner/") :])
            if value.decode().split()[0] == rank and prefix + "result/%d" % trial not in values:
                owned.append(trial)
    if owned:
        print(min(owned))


if __name__ == "__main__":
    main()
