#!/usr/bin/env python3
"""Every TCP address that anything in this network namespace listens on, sampled every 2 ms until
killed, each "ADDRESS PORT" printed once, when first seen (ADDRESS 0.0.0.0 or :: is every address
of the namespace): watch_listening.py. Run it inside a namespace (ip netns exec NS ...). Gloo
listens only while ranks connect, hence the sampling. It asks the kernel for listening sockets
alone (sock_diag over netlink, as ss does): reading /proc/net/tcp walks every connection's hash
bucket, 3 ms a read on a small VM.
"""
import socket
import struct
import time

NETLINK_SOCK_DIAG, SOCK_DIAG_BY_FAMILY = 4, 20
NLM_F_REQUEST, NLM_F_DUMP, NLMSG_ERROR, NLMSG_DONE = 1, 0x300, 2, 3
TCP_LISTEN = 10


def listening(nl, family):
    # inet_diag_req_v2: family, protocol, ext, pad, states; then a zeroed inet_diag_sockid (48 bytes).
    req = struct.pack("=BBBBI", family, socket.IPPROTO_TCP, 0, 0, 1 << TCP_LISTEN) + bytes(48)
    nl.send(struct.pack("=IHHII", 16 + len(req), SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP, 1, 0) + req)
    while True:
        data = nl.recv(1 << 16)
        at = 0
        while at < len(data):
            length, kind = struct.unpack_from("=IH", data, at)
            if kind == NLMSG_DONE:
                return
            if kind == NLMSG_ERROR:
                raise OSError("sock_diag refused the request")
            # inet_diag_msg: family, state, timer, retrans; sockid: sport, dport (big-endian), src...
            msg = at + 16
            port = struct.unpack_from(">H", data, msg + 4)[0]
            size = 4 if data[msg] == socket.AF_INET else 16
            yield socket.inet_ntop(data[msg], data[msg + 8:msg + 8 + size]), port
            at += (length + 3) & ~3


nl = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_SOCK_DIAG)
seen = set()
while True:
    for family in (socket.AF_INET, socket.AF_INET6):
        for found in listening(nl, family):
            if found not in seen:
                seen.add(found)
                print(*found, flush=True)
    time.sleep(0.002)
