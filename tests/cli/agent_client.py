#!/usr/bin/env python3
"""Calls one recrypt-agent method: agent_client.py SOCKET METHOD [JSON-PARAMS]. Shows that
the agent protocol needs nothing but a Unix socket and JSON (docs/AGENT_PROTOCOL.md)."""
import json, socket, sys

def call(path, method, params=None):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(30)
        s.connect(path)
        request = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params or {}}
        s.sendall(json.dumps(request).encode() + b"\n")
        line = s.makefile("rb").readline()
        if not line:
            raise SystemExit("the agent closed the connection")
        reply = json.loads(line)
        if "error" in reply:
            raise SystemExit(f"agent error {reply['error']['code']}: {reply['error']['message']}")
        return reply["result"]

if __name__ == "__main__":
    params = json.loads(sys.argv[3]) if len(sys.argv) > 3 else {}
    print(json.dumps(call(sys.argv[1], sys.argv[2], params), indent=2))
