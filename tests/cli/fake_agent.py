#!/usr/bin/env python3
"""A stand-in for recrypt-agent on a Unix socket, to see whether `recrypt` trusts it:
fake_agent.py SOCKET LOG [USER]. Logs "connected" for each connection and "request ..." for
each line a client sends, answers agent.status as an agent would, and prints "listening"
once ready. With USER (run as root), it binds the socket as root and then becomes USER
before listen(): the peer credentials a client reads (SO_PEERCRED) are those of the process
that called listen(), so the socket sits in root's folder but answers as USER."""
import json, os, pwd, socket, sys

path, log_path = sys.argv[1], sys.argv[2]
log = open(log_path, "a", buffering=1)
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(path)
if len(sys.argv) > 3:
    user = pwd.getpwnam(sys.argv[3])
    os.setgroups([])
    os.setgid(user.pw_gid)
    os.setuid(user.pw_uid)
server.listen(8)
print("listening", flush=True)
while True:
    conn, _ = server.accept()
    log.write("connected\n")
    with conn:
        conn.settimeout(5)
        f = conn.makefile("rb")
        try:
            line = f.readline()
        except OSError:
            line = b""
        if not line:
            continue
        log.write("request " + line.decode(errors="replace"))
        request = json.loads(line)
        result = {"protocol": 1, "version": "fake", "backends": []}
        conn.sendall(json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": result}).encode() + b"\n")
