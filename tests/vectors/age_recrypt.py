#!/usr/bin/env python3
"""Checks the age recipient, identity and stanza vector (docs/AGE_PLUGIN.md) with a second
implementation: Bech32 (BIP-173) and the locator written here, UDF from document_ids.py, P-256,
ECDH and AES key wrap from Python's `cryptography`.

Usage: age_recrypt.py [DIR]      checks DIR/age/recrypt.json (default: this script's folder)
       age_recrypt.py --make     prints the vector for fixed inputs
Exit 0 when everything matches, 1 when not, 77 without `cryptography`."""

import base64
import hashlib
import json
import pathlib
import struct
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from document_ids import udf  # noqa: E402

try:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.keywrap import aes_key_unwrap, aes_key_wrap
except ImportError:
    print("age_recrypt.py: no python3-cryptography, skipped")
    sys.exit(77)

CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
P256_SPKI_HEAD = bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d030107034200")


def polymod(values):
    gen = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if (top >> i) & 1 else 0
    return chk


def hrp_expand(hrp):
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def bech32(hrp, data):
    bits = "".join(f"{b:08b}" for b in data)
    bits += "0" * (-len(bits) % 5)
    groups = [int(bits[i : i + 5], 2) for i in range(0, len(bits), 5)]
    mod = polymod(hrp_expand(hrp) + groups + [0] * 6) ^ 1
    groups += [(mod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(CHARSET[g] for g in groups)


def b64(data):
    return base64.b64encode(data).decode("ascii").rstrip("=")


def locator(group, group_id, service):
    g, i, s = group.encode(), group_id.encode(), service.encode()
    return bytes([len(g)]) + g + bytes([len(i)]) + i + struct.pack(">H", len(s)) + s


def compressed(public_key):
    return public_key.public_bytes(serialization.Encoding.X962,
                                   serialization.PublicFormat.CompressedPoint)


def kid_of(public_key):
    point = public_key.public_bytes(serialization.Encoding.X962,
                                    serialization.PublicFormat.UncompressedPoint)
    return udf("application/pkix-keyinfo", P256_SPKI_HEAD + point)


def concat_kdf(z, algorithm_id, apu, apv):
    def field(b):
        return struct.pack(">I", len(b)) + b
    other = field(algorithm_id) + field(apu) + field(apv) + struct.pack(">I", 256)
    return hashlib.sha256(struct.pack(">I", 1) + z + other).digest()


def make(inputs):
    a = ec.derive_private_key(int(inputs["group_private_key"], 16), ec.SECP256R1())
    t = ec.derive_private_key(int(inputs["t"], 16), ec.SECP256R1())
    loc = locator(inputs["group"], inputs["group_id"], inputs["service"])
    kid = kid_of(a.public_key())
    z = t.exchange(ec.ECDH(), a.public_key())  # x(t·A)
    kek = concat_kdf(z, b"age-recrypt-v1", b"", kid.encode("ascii"))
    wrapped = aes_key_wrap(kek, bytes.fromhex(inputs["file_key"]))
    # The member's side: x(a·T) is the same x, and unwraps.
    assert aes_key_unwrap(concat_kdf(a.exchange(ec.ECDH(), t.public_key()), b"age-recrypt-v1",
                                     b"", kid.encode("ascii")), wrapped) == \
        bytes.fromhex(inputs["file_key"])
    out = dict(inputs)
    out["recipient"] = bech32("age1recrypt", b"\x01" + compressed(a.public_key()) + loc)
    out["identity"] = bech32("age-plugin-recrypt-", b"\x01").upper()
    out["stanza_args"] = ["recrypt", kid, b64(compressed(t.public_key())), b64(loc)]
    out["stanza_body"] = b64(wrapped)
    return out


INPUTS = {
    "group_private_key": "4a1f3c9e8b7d6a5f4e3d2c1b0a99887766554433221100ffeeddccbbaa998877",
    "t": "1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a",
    "file_key": "000102030405060708090a0b0c0d0e0f",
    "group": "team@example.com",
    "group_id": "MDLH-7RLV-4YXH-NGVF-MT2S-4DAS-7FRD-XK",
    "service": "https://recrypt.example.com:8443",
}


def main():
    if sys.argv[1:] == ["--make"]:
        print(json.dumps(make(INPUTS), indent=2))
        return 0
    folder = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else pathlib.Path(__file__).parent
    vector = json.loads((folder / "age" / "recrypt.json").read_text())
    inputs = {k: vector[k] for k in INPUTS}
    want = make(inputs)
    bad = [k for k in want if want[k] != vector.get(k)]
    for k in bad:
        print(f"age/recrypt.json: {k} is {vector.get(k)!r}, the definition gives {want[k]!r}")
    if not bad:
        print("age/recrypt.json: recipient, identity and stanza as docs/AGE_PLUGIN.md defines")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
