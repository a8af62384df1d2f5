"""A strict reader for udev rules files: every line must be a comment, blank, or a list of
KEY[{attr}] OP "value" pairs with keys and operators udev knows, GOTOs must reach a LABEL,
and match-only keys may not be assigned. Also checks what recrypt's rules must contain."""
import re
import sys

MATCH_ONLY = {"ACTION", "DEVPATH", "KERNEL", "KERNELS", "SUBSYSTEM", "SUBSYSTEMS", "DRIVER", "DRIVERS",
              "ATTRS", "TAGS", "TEST", "PROGRAM", "RESULT", "CONST", "SYSCTL", "DEVTYPE"}
ASSIGN_ONLY = {"SYMLINK", "OWNER", "GROUP", "MODE", "SECLABEL", "RUN", "LABEL", "GOTO", "IMPORT", "OPTIONS", "NAME"}
BOTH = {"ATTR", "ENV", "TAG", "SYMLINK", "NAME", "SYSCTL"}
KEYS = MATCH_ONLY | ASSIGN_ONLY | BOTH
WITH_ATTR = {"ATTR", "ATTRS", "ENV", "TEST", "IMPORT", "RUN", "SYSCTL", "SECLABEL", "CONST"}
PAIR = re.compile(r'\s*([A-Z_]+)(\{([^}]*)\})?\s*(==|!=|\+=|-=|:=|=)\s*"((?:[^"\\]|\\.)*)"\s*(,|$)')


def parse(path):
    errors, labels, gotos, lines = [], set(), [], []
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if line.endswith("\\"):
                errors.append(f"{n}: line continuation not expected")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            pos, pairs = 0, []
            while pos < len(line):
                m = PAIR.match(line, pos)
                if not m:
                    errors.append(f"{n}: cannot parse at column {pos + 1}: {line[pos:]!r}")
                    break
                key, attr, op, value = m.group(1), m.group(3), m.group(4), m.group(5)
                pos = m.end()
                if key not in KEYS:
                    errors.append(f"{n}: unknown key {key}")
                if (attr is not None) != (key in WITH_ATTR) and key not in {"IMPORT", "RUN"}:
                    errors.append(f"{n}: {key} {'needs' if attr is None else 'takes no'} {{attribute}}")
                matching = op in ("==", "!=")
                if matching and key in ASSIGN_ONLY - BOTH:
                    errors.append(f"{n}: {key} cannot be matched")
                if not matching and key in MATCH_ONLY - BOTH:
                    errors.append(f"{n}: {key} cannot be assigned")
                if key == "LABEL":
                    labels.add(value)
                if key == "GOTO":
                    gotos.append((n, value))
                pairs.append((key, attr, op, value))
                if m.group(6) == "" and pos < len(line):
                    errors.append(f"{n}: missing comma before column {pos + 1}")
                    break
            lines.append(pairs)
    for n, target in gotos:
        if target not in labels:
            errors.append(f"{n}: GOTO {target} has no LABEL")
    return errors, lines


def main():
    path = sys.argv[1]
    errors, lines = parse(path)
    flat = [p for pairs in lines for p in pairs]
    def has(key, attr, op, value):
        return any(p == (key, attr, op, value) for p in flat)
    wants = [
        ("ENV", "ID_SECURITY_TOKEN", "=", "1"),
        ("TAG", None, "+=", "uaccess"),
        ("TAG", None, "+=", "systemd"),
        ("ENV", "SYSTEMD_USER_WANTS", "+=", "recrypt-agent.service"),
    ]
    for w in wants:
        if not has(*w):
            errors.append(f"missing {w}")
    text = open(path, encoding="utf-8").read()
    for vendor, what in [("1050", "YubiKey"), ("20a0", "Nitrokey"), ("0483", "SoloKeys"), ("1209", "SoloKeys 2"),
                         ("1d50", "OnlyKey"), ("096e", "Feitian")]:
        if f'ATTR{{idVendor}}=="{vendor}"' not in text:
            errors.append(f"no rule for {what} ({vendor})")
    if "0b????" not in text:
        errors.append("no rule for CCID readers (interface class 0x0b)")
    for e in errors:
        print(f"FAIL: {path}:{e}")
    if errors:
        sys.exit(1)
    print(f"ok: {path}: {len(lines)} rules parse, tokens are marked for uaccess and the agent unit")


if __name__ == "__main__":
    main()
