#!/usr/bin/env python3
"""A c10d store that answers with garbage, for the distributed test: it listens on 127.0.0.1,
writes its port to PORT_FILE, and answers whatever a connection sends with

  huge    a zero byte (what a store answers when a key is there), then a length of 2^64 - 1
  random  random bytes
  push    random bytes at once, before it is asked anything, then as random

  fake_store.py huge|random PORT_FILE
"""
import os
import socket
import sys
import threading

mode, port_file = sys.argv[1], sys.argv[2]
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(16)
with open(port_file + ".tmp", "w") as f:
    f.write(str(listener.getsockname()[1]))
os.rename(port_file + ".tmp", port_file)


def answer(conn):
    try:
        if mode == "push":
            conn.sendall(os.urandom(4096))
        while conn.recv(4096):
            if mode == "huge":
                conn.sendall(b"\0" + (2**64 - 1).to_bytes(8, "little"))
            else:
                conn.sendall(os.urandom(256))
    except OSError:
        pass


while True:
    conn, _ = listener.accept()
    threading.Thread(target=answer, args=(conn,), daemon=True).start()
