#!/usr/bin/env python3
"""Checks the document ids and key agreement ids of the test vectors (docs/FORMAT.md §10)
against the format's definition, computed here with nothing but hashlib: a second
implementation of UDF (§6), of the document id and of a P-256 key's SubjectPublicKeyInfo.

Every vector whose .json has a "document_id" is checked: that id, and "agreements", the ids
of the envelope's key agreements in order (recipients, then an all-of recipient's parts).
Usage: document_ids.py [DIR]   (default: this script's folder). Exit 0 when all match."""

import base64
import hashlib
import json
import pathlib
import sys

# SubjectPublicKeyInfo of an uncompressed P-256 point (RFC 5480): SEQUENCE { SEQUENCE {
# id-ecPublicKey, prime256v1 }, BIT STRING 0x04 || x || y }, whose head is always these bytes.
P256_SPKI_HEAD = bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d030107034200")


def b64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def udf(content_type, data, bits=140):
    inner = hashlib.sha512(data).digest()
    tcdv = hashlib.sha512(content_type.encode("utf-8") + b":" + inner).digest()
    text = base64.b32encode(b"\x60" + tcdv).decode("ascii").rstrip("=")[: bits // 5]
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4))


def key_fingerprint(jwk):
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise ValueError("only P-256 keys are checked here")
    x, y = b64url(jwk["x"]), b64url(jwk["y"])
    return udf("application/pkix-keyinfo", P256_SPKI_HEAD + b"\x04" + x + y)


def document_id(envelope):
    core = ".".join(envelope[k] for k in ("protected", "iv", "ciphertext", "tag"))
    return udf("application/recrypt-jcd", core.encode("ascii"))


def agreement_ids(envelope):
    out = []
    for recipient in envelope["recipients"]:
        header = dict(envelope.get("unprotected", {}), **recipient.get("header", {}))
        if header.get("alg") == "ECDH-ES+A256KW":
            parts = [header]
        elif header.get("alg") == "ECDH-ES-ALLOF+A256KW":
            parts = header["parts"]
        else:
            continue  # an algorithm the format does not have: no key agreement of ours
        for part in parts:
            fp = key_fingerprint(part["epk"])
            if fp not in out:
                out.append(fp)
    return out


def envelope_of(jcd_path):
    lines = jcd_path.read_bytes().split(b"\n", 2)
    return json.loads(lines[1])


def main():
    folder = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parent)
    # The known answer of FORMAT.md §6 first: this UDF is the format's.
    assert udf("text/plain", b"UDF Data Value") == "MDDK-7N6A-727A-JZNO-STRX-XKS7-DJAF"
    checked, wrong = 0, 0
    for desc_path in sorted(folder.glob("*.json")):
        desc = json.loads(desc_path.read_text())
        if "document_id" not in desc:
            continue
        envelope = envelope_of(desc_path.with_suffix(".jcd"))
        for name, want, got in (
            ("document_id", desc["document_id"], document_id(envelope)),
            ("agreements", desc["agreements"], agreement_ids(envelope)),
        ):
            if want != got:
                print(f"{desc_path.stem}: {name} is {want}, the definition gives {got}")
                wrong += 1
        checked += 1
    if checked == 0:
        print("no vector has a document_id")
        return 1
    print(f"{checked} vectors checked, {wrong} differences")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
