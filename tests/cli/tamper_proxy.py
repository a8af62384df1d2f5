#!/usr/bin/env python3
"""A man in the middle for the malicious-service tests (tests/cli/malicious_service.sh).

Listens on 127.0.0.1:PORT, forwards every POST /.well-known/recrypt/ to the real recryptd and
hands back its answer, rewritten according to --mode:

  pass            nothing is changed: request and response bodies go through byte for byte
  phantom-member  GetGroup answers list one more ACTIVE member with RECRYPT: --member ID,
                  --account NAME (what a service adding a reader of its own would show)
  profile         GetProfile answers to a request by account --account NAME carry the profile
                  token in --token-file instead (a valid, self-signed profile of someone else)
  hello-audience  Hello answers say the service calls itself --audience URL
  stall-recrypt   RecryptData requests are neither forwarded nor answered: the proxy holds
                  the connection until the client closes it (a service that hangs)

Prints "listening on 127.0.0.1:PORT" once it accepts connections, and one line per exchange
on stderr ("GetGroup rewritten", "Hello passed", ...). Python 3 standard library only.
"""
import argparse
import http.client
import http.server
import json
import sys
import urllib.parse

PATH = "/.well-known/recrypt/"
SIGNATURE = "Recrypt-Signature"


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--listen", default="127.0.0.1:0", help="HOST:PORT to listen on (port 0: any)")
    p.add_argument("--upstream", required=True, help="the real service, http://HOST:PORT")
    p.add_argument("--mode", default="pass", choices=["pass", "phantom-member", "profile", "hello-audience", "stall-recrypt"])
    p.add_argument("--member", help="phantom-member: the phantom's profile id")
    p.add_argument("--account", help="phantom-member: the phantom's account; profile: the account to answer falsely")
    p.add_argument("--token-file", help="profile: the profile token to answer with")
    p.add_argument("--audience", help="hello-audience: what the service is made to call itself")
    a = p.parse_args()
    need = {"phantom-member": ["member", "account"], "profile": ["account", "token_file"], "hello-audience": ["audience"]}
    for field in need.get(a.mode, []):
        if not getattr(a, field):
            p.error("--mode %s needs --%s" % (a.mode, field.replace("_", "-")))
    return a


ARGS = parse_args()
UPSTREAM = urllib.parse.urlsplit(ARGS.upstream)
TOKEN = open(ARGS.token_file).read().strip() if ARGS.token_file else None


def envelope(data, suffix):
    """(name, inner object) of a {"XRequest": {...}} / {"XResponse": {...}} body, or (None, None)."""
    try:
        doc = json.loads(data)
    except ValueError:
        return None, None
    if not isinstance(doc, dict) or len(doc) != 1:
        return None, None
    (key, inner), = doc.items()
    if not key.endswith(suffix) or not isinstance(inner, dict):
        return None, None
    return key[: -len(suffix)], inner


def rewrite(name, request, response):
    """The rewritten inner response object, or None to pass the answer through untouched."""
    status = response.get("Status")
    if not isinstance(status, int) or not 200 <= status < 300:  # recryptd says 201 for OK
        return None
    if ARGS.mode == "phantom-member" and name == "GetGroup":
        response["members"].append({"member": ARGS.member, "account": ARGS.account, "privileges": ["RECRYPT"],
                                    "status": "ACTIVE", "key_ids": [response["key_id"]]})
        return response
    if ARGS.mode == "profile" and name == "GetProfile" and (request or {}).get("account") == ARGS.account:
        response["profile"] = TOKEN
        return response
    if ARGS.mode == "hello-audience" and name == "Hello":
        response["audience"] = ARGS.audience
        return response
    return None


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the agents use it

    def log_message(self, fmt, *args):  # the exchanges are logged by do_POST
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        if ARGS.mode == "stall-recrypt" and envelope(body, "Request")[0] == "RecryptData":
            print("RecryptData stalled", file=sys.stderr, flush=True)
            self.rfile.read(1)  # returns once the client has closed the connection
            self.close_connection = True
            return
        headers = {"Content-Type": self.headers.get("Content-Type", "application/json")}
        if self.headers.get(SIGNATURE) is not None:
            headers[SIGNATURE] = self.headers[SIGNATURE]
        upstream = http.client.HTTPConnection(UPSTREAM.hostname, UPSTREAM.port, timeout=10)
        try:
            upstream.request("POST", self.path, body=body, headers=headers)
            answer = upstream.getresponse()
            status, data = answer.status, answer.read()
        except OSError as e:
            status, data = 502, json.dumps({"Response": {"Status": 502, "StatusDescription": "proxy: %s" % e}}).encode()
        finally:
            upstream.close()

        name, request = envelope(body, "Request")
        what = "passed"
        if ARGS.mode != "pass" and name is not None:
            _, response = envelope(data, "Response")
            changed = rewrite(name, request, response) if response is not None else None
            if changed is not None:
                data = json.dumps({name + "Response": changed}).encode()
                what = "rewritten"
        print("%s %s" % (name or "?", what), file=sys.stderr, flush=True)

        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def main():
    host, _, port = ARGS.listen.rpartition(":")
    server = http.server.ThreadingHTTPServer((host, int(port)), Handler)
    server.daemon_threads = True
    print("listening on %s:%d" % server.server_address[:2], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
