#!/usr/bin/env python3
"""A load balancer in front of several recryptd, for tests/cli/two_instances.sh.

Listens on 127.0.0.1:PORT and forwards every POST to the recryptd whose URL (http://HOST:PORT)
the file --target holds at that moment, and hands back its answer byte for byte: the test
chooses which instance serves each command, while every client knows one service URL (and
signs for one audience, which every recryptd behind it is started with).

Prints "listening on 127.0.0.1:PORT" once it accepts connections, and "TYPE -> URL" per
request on stderr. Python 3 standard library only.
"""
import argparse
import http.client
import http.server
import sys
import urllib.parse

SIGNATURE = "Recrypt-Signature"


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--listen", default="127.0.0.1:0", help="HOST:PORT to listen on (port 0: any)")
    p.add_argument("--target", required=True, help="file holding the URL of the recryptd to forward to")
    return p.parse_args()


ARGS = parse_args()


class Forward(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with open(ARGS.target) as f:
            target = urllib.parse.urlsplit(f.read().strip())
        headers = {"Content-Type": self.headers.get("Content-Type", "application/json")}
        if self.headers.get(SIGNATURE) is not None:
            headers[SIGNATURE] = self.headers[SIGNATURE]
        upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
        try:
            upstream.request("POST", self.path, body=body, headers=headers)
            answer = upstream.getresponse()
            data = answer.read()
            self.send_response(answer.status)
            for name in ("Content-Type", "Retry-After"):
                if answer.getheader(name) is not None:
                    self.send_header(name, answer.getheader(name))
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        finally:
            upstream.close()
        name = body[2 : body.find(b'"', 2)].decode(errors="replace")
        print("%s -> %s" % (name, target.geturl()), file=sys.stderr, flush=True)

    def log_message(self, *args):
        pass


def main():
    host, port = ARGS.listen.rsplit(":", 1)
    server = http.server.ThreadingHTTPServer((host, int(port)), Forward)
    print("listening on %s:%d" % server.server_address[:2], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
