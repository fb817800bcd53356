#!/usr/bin/env python3
"""Kills a rank of `collab tune` while it holds a trial, reading the trial queue in the ranks'
c10d store, so that a test of a dead rank never depends on timing.

  kill_in_trial.py STORE RANK PID

STORE is the FileStore file of --nproc's folder, or HOST:PORT of a TCP store (torchrun's agent;
read with Debian's python3-torch); PID is the rank's process. Waits until
RANK owns a trial (its tune/owner/T key) that has no result, stops the process, reads the store
again, and kills it (SIGKILL) only if that trial still has no result; else lets it go on and waits
for another. Prints the trial it was killed in; exits 1 when the process ended first.
"""
import os
import signal
import struct
import sys
import time

PREFIX = "collab/kv/tune/"


def file_store(path):
    """The FileStore's keys and values: a log of records, each a key and a value after its 4-byte
    little-endian length, the last record of a key winning (c10d's FileStore, LibTorch 1.13)."""
    def read(key):
        try:
            data = open(path, "rb").read()
        except OSError:  # not made yet
            return None
        value, pos = None, 0
        while pos + 4 <= len(data):
            (n,) = struct.unpack_from("<I", data, pos)
            k = data[pos + 4 : pos + 4 + n]
            pos += 4 + n
            if pos + 4 > len(data):
                break
            (m,) = struct.unpack_from("<I", data, pos)
            if pos + 4 + m > len(data):
                break  # a record being written
            if k.decode("utf-8", "replace") == "/" + key:
                value = data[pos + 4 : pos + 4 + m]
            pos += 4 + m
        return value
    return read


def tcp_store(address):
    import datetime
    import torch.distributed as dist

    host, port = address.rsplit(":", 1)
    store = dist.TCPStore(host, int(port), is_master=False, timeout=datetime.timedelta(seconds=30))

    def read(key):  # Python's TCPStore (1.13) has no check: a wait that times out says absent
        try:
            store.wait([key], datetime.timedelta(milliseconds=5))
        except RuntimeError:
            return None
        return store.get(key)
    return read


def owned_trial(read, rank):
    """The first trial `rank` owns that has no result yet, or None."""
    handed = read(PREFIX + "next")
    for t in range(int(handed) if handed else 0):
        owner = read(PREFIX + "owner/%d" % t)
        if owner and owner.decode().split()[0] == rank and read(PREFIX + "result/%d" % t) is None:
            return t
    return None


def main():
    store, rank, pid = sys.argv[1], sys.argv[2], int(sys.argv[3])
    read = tcp_store(store) if ":" in store else file_store(store)
    while True:
        if not os.path.exists("/proc/%d" % pid):
            sys.exit(1)
        t = owned_trial(read, rank)
        if t is not None:
            os.kill(pid, signal.SIGSTOP)
            if read(PREFIX + "result/%d" % t) is None:
                os.kill(pid, signal.SIGKILL)
                print(t)
                return
            os.kill(pid, signal.SIGCONT)
        time.sleep(0.05)


if __name__ == "__main__":
    main()
