#!/usr/bin/env python3
"""The TCP sockets that processes listen on, one "ADDRESS PORT" a line, read from /proc (no ss
needed): listening.py PID...
"""
import os
import socket
import sys


def inodes_of(pid):
    found = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            found.add(target[8:-1])
    return found


def address(hex_address, family):
    # /proc/net/tcp* print each 32-bit word of the address in host (little-endian) order.
    raw = bytes.fromhex(hex_address)
    words = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
    return socket.inet_ntop(family, words)


inodes = set()
for pid in sys.argv[1:]:
    try:
        inodes |= inodes_of(pid)
    except OSError:
        pass
for table, family in (("/proc/net/tcp", socket.AF_INET), ("/proc/net/tcp6", socket.AF_INET6)):
    try:
        rows = open(table).read().splitlines()[1:]
    except OSError:
        continue
    for row in rows:
        fields = row.split()
        local, state, inode = fields[1], fields[3], fields[9]
        if state == "0A" and inode in inodes:  # 0A: LISTEN
            host, port = local.split(":")
            print(address(host, family), int(port, 16))
