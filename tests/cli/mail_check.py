#!/usr/bin/env python3
"""Reads an encrypted message (docs/MAIL.md) with Python's own MIME parser, independent of
ours: checks its structure, types and protocol parameter and that the routing fields of the
original came through unchanged; writes the .jcd part's decoded bytes to JCD_OUT.

usage: mail_check.py ORIGINAL ENCRYPTED JCD_OUT [--protected-subject]
"""
import email
import email.policy
import sys


def fail(what):
    sys.exit("mail_check: " + what)


def main():
    original_path, encrypted_path, jcd_out = sys.argv[1:4]
    protected = "--protected-subject" in sys.argv[4:]
    with open(original_path, "rb") as f:
        original = email.message_from_binary_file(f, policy=email.policy.default)
    with open(encrypted_path, "rb") as f:
        raw = f.read()
    msg = email.message_from_bytes(raw, policy=email.policy.default)

    if msg.defects:
        fail("defects: %r" % msg.defects)
    if msg.get_content_type() != "multipart/encrypted":
        fail("content type " + msg.get_content_type())
    if msg.get_param("protocol") != "application/recrypt-jcd":
        fail("protocol %r" % msg.get_param("protocol"))
    parts = msg.get_payload()
    if len(parts) != 2:
        fail("%d parts" % len(parts))
    control, payload = parts
    if control.get_content_type() != "application/recrypt-jcd":
        fail("first part " + control.get_content_type())
    if control.get_payload().strip() != "Version: 1":
        fail("first part says %r" % control.get_payload())
    if payload.get_content_type() != "application/octet-stream":
        fail("second part " + payload.get_content_type())
    if payload.get_param("name") != "message.jcd" or payload.get_filename() != "message.jcd":
        fail("second part's name %r" % payload.get_param("name"))
    if payload["Content-Transfer-Encoding"] != "base64":
        fail("second part encoded as %r" % payload["Content-Transfer-Encoding"])
    jcd = payload.get_content()
    if not isinstance(jcd, bytes) or not jcd.startswith(b"recrypt.jcd/v1\n"):
        fail("the .jcd part does not decode to a .jcd")
    with open(jcd_out, "wb") as f:
        f.write(jcd)

    # The routing fields travel outside, unchanged; the body's fields do not.
    for name in ("From", "To", "Cc", "Date", "Message-ID", "In-Reply-To", "References",
                 "List-Id", "Received"):
        if original.get_all(name) != msg.get_all(name):
            fail("%s changed: %r -> %r" % (name, original.get_all(name), msg.get_all(name)))
    if protected:
        if msg["Subject"] != "...":
            fail("protected Subject reads %r outside" % msg["Subject"])
        if str(original["Subject"]).encode() in raw:
            fail("the protected Subject shows outside")
    elif msg["Subject"] != original["Subject"]:
        fail("Subject changed")
    if msg["Content-Transfer-Encoding"] is not None:
        fail("a Content-Transfer-Encoding outside")
    # Nothing of the body shows outside.
    body = original.get_body(preferencelist=("plain",)).get_content()
    for line in body.splitlines():
        if len(line) > 8 and line.encode() in raw:
            fail("the body shows outside: %r" % line)
    print("mail_check: ok")


main()
