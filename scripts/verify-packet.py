#!/usr/bin/env python3
"""Verify a Vigil incident packet with nothing but Python's standard library and the openssl
command: an implementation independent of Vigil's own `vigil verify`.

    python3 verify-packet.py PACKET.zip PUBLIC_KEY_HEX_OR_FILE

Checks: every file against SHA256SUMS (and nothing unlisted), the Ed25519 signature over
SHA256SUMS, the manifest's hashes, sizes and record counts, the signed checkpoint, each ledger
entry's RFC 6962 inclusion proof (leaf = RFC 8785 canonical JSON of the entry), and the
consistency proofs from earlier checkpoints (RFC 9162 section 2.1.4.2). Exit status 0 only when
everything verifies.
"""
import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import zipfile

SIGNATURE_CONTEXT = b"vigil-packet v1 SHA256SUMS\n"
ED25519_SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")


def sha256(b):
    return hashlib.sha256(b).digest()


def leaf(b):
    return sha256(b"\x00" + b)


def node(left, right):
    return sha256(b"\x01" + left + right)


def canonical(value):
    # RFC 8785 for what ledger entries hold (ASCII keys, integers, strings): sorted keys, no
    # white space, the same string escapes as ECMAScript's JSON.stringify.
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def verify_inclusion(index, size, leaf_hash, proof, root):
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(n1, n2, root1, root2, proof):
    if n1 > n2:
        return False
    if n1 == n2:
        return not proof and root1 == root2
    if n1 == 0:
        return not proof
    if not proof:
        return False
    if n1 & (n1 - 1) == 0:
        proof = [root1] + proof
    fn, sn = n1 - 1, n2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node(c, fr)
            sr = node(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == root1 and sr == root2


def ed25519_verify(public_key, message, signature):
    der = ED25519_SPKI_PREFIX + public_key
    pem = b"-----BEGIN PUBLIC KEY-----\n" + base64.b64encode(der) + b"\n-----END PUBLIC KEY-----\n"
    with tempfile.TemporaryDirectory() as d:
        paths = {}
        for name, data in (("key.pem", pem), ("msg", message), ("sig", signature)):
            paths[name] = os.path.join(d, name)
            with open(paths[name], "wb") as f:
                f.write(data)
        r = subprocess.run(
            ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", paths["key.pem"], "-rawin",
             "-in", paths["msg"], "-sigfile", paths["sig"]],
            capture_output=True,
        )
        return r.returncode == 0


def escape_line(s):
    return s.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")


def checkpoint_body(c):
    return (
        "vigil-evidence checkpoint v1\norigin: %s\nsize: %d\nroot: %s\ntime_ms: %d\n"
        % (escape_line(c["origin"]), c["size"], escape_line(c["root_hex"]), c["time_ms"])
    ).encode("utf-8")


def verify_checkpoint(signed, public_key):
    return ed25519_verify(public_key, checkpoint_body(signed["checkpoint"]), bytes.fromhex(signed["signature_hex"]))


def count_records(path, data):
    if path.endswith(".csv"):
        rows, in_quotes, has = 0, False, False
        for ch in data.decode("utf-8", "replace"):
            if ch == '"':
                in_quotes, has = not in_quotes, True
            elif ch == "\n" and not in_quotes:
                rows += 1 if has else 0
                has = False
            else:
                has = True
        rows += 1 if has else 0
        return max(rows - 1, 0)
    return sum(1 for line in data.split(b"\n") if line)


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    packet, key_arg = argv[1], argv[2]
    key_hex = open(key_arg).read().split()[0] if os.path.exists(key_arg) else key_arg
    public_key = bytes.fromhex(key_hex.strip())
    problems = []
    with zipfile.ZipFile(packet) as z:
        files = {n: z.read(n) for n in z.namelist() if not n.endswith("/")}
    sums = files.get("SHA256SUMS", b"")
    listed = {}
    for line in sums.decode("utf-8").splitlines():
        digest, path = line[:64], line[66:]
        listed[path] = digest
    for path, digest in listed.items():
        if path not in files:
            problems.append("%s listed in SHA256SUMS is missing" % path)
        elif hashlib.sha256(files[path]).hexdigest() != digest:
            problems.append("%s: SHA-256 mismatch" % path)
    for path in files:
        if path not in ("SHA256SUMS", "SHA256SUMS.sig") and path not in listed:
            problems.append("%s is not in SHA256SUMS" % path)
    sig = json.loads(files["SHA256SUMS.sig"])
    if not ed25519_verify(public_key, SIGNATURE_CONTEXT + sums, bytes.fromhex(sig["signature_hex"])):
        problems.append("signature over SHA256SUMS does not verify")
    manifest = json.loads(files["manifest.json"])
    for f in manifest["files"]:
        data = files.get(f["path"])
        if data is None:
            problems.append("%s in the manifest is missing" % f["path"])
            continue
        if hashlib.sha256(data).hexdigest() != f["sha256"] or len(data) != f["size"]:
            problems.append("%s differs from the manifest" % f["path"])
        if f.get("record_count") is not None and count_records(f["path"], data) != f["record_count"]:
            problems.append("%s: record count differs from the manifest" % f["path"])
    cp = json.loads(files["proofs/checkpoint.json"])
    if not verify_checkpoint(cp, public_key):
        problems.append("checkpoint signature does not verify")
    size, root = cp["checkpoint"]["size"], bytes.fromhex(cp["checkpoint"]["root_hex"])
    indexes, last = [], -1
    for n, line in enumerate(files["proofs/entries.jsonl"].decode("utf-8").splitlines(), 1):
        e = json.loads(line)
        indexes.append(e["index"])
        if e["index"] <= last:
            problems.append("entries line %d: out of order" % n)
        last = e["index"]
        if e["entry"].get("seq") != e["index"] + 1:
            problems.append("entries line %d: seq does not match the leaf index" % n)
        proof = [bytes.fromhex(h) for h in e["inclusion"]]
        if not verify_inclusion(e["index"], size, leaf(canonical(e["entry"])), proof, root):
            problems.append("entries line %d: inclusion proof does not verify" % n)
    if indexes != manifest["ledger"]["entry_indexes"]:
        problems.append("the entries differ from the manifest's list")
    for n, line in enumerate(files.get("proofs/consistency.jsonl", b"").decode("utf-8").splitlines(), 1):
        c = json.loads(line)
        old = c["from"]
        if not verify_checkpoint(old, public_key):
            problems.append("consistency line %d: earlier checkpoint signature does not verify" % n)
        proof = [bytes.fromhex(h) for h in c["proof"]]
        if not verify_consistency(old["checkpoint"]["size"], size, bytes.fromhex(old["checkpoint"]["root_hex"]), root, proof):
            problems.append("consistency line %d: not consistent with this checkpoint" % n)
    for p in problems:
        print("FAIL", p)
    if problems:
        print("%s: NOT VERIFIED (%d problems)" % (packet, len(problems)))
        return 1
    print("%s: VERIFIED by the independent checker (%d files, %d ledger entries, tree size %d)" % (packet, len(files), len(indexes), size))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile, Exception) as e:  # noqa: BLE001
        print("FAIL the packet could not be read: %s: %s" % (type(e).__name__, e))
        print("NOT VERIFIED")
        sys.exit(1)
