#!/usr/bin/env python3
"""Writes a benchmark input for one decoder from vendor-shaped test fixtures: the records of the
given fixture files (JSON lines, each {"log": {...}} or a bare record), repeated to COUNT lines,
each copy made distinct (a `_bench_seq` field) so ingest stores every one instead of deduping.

usage: fixture-volume.py [--require KEY ...] OUT COUNT FIXTURE.jsonl [FIXTURE.jsonl ...]
  --require KEY   keep only records that have this key, a dotted path (`id.time`) (repeatable)"""
import json
import sys


def has(rec, path):
    for part in path.split("."):
        if not isinstance(rec, dict) or part not in rec:
            return False
        rec = rec[part]
    return True


def main():
    args = sys.argv[1:]
    required = []
    while len(args) >= 2 and args[0] == "--require":
        required.append(args[1])
        args = args[2:]
    if len(args) < 3:
        sys.exit(__doc__)
    out, count, files = args[0], int(args[1]), args[2:]
    records = []
    for f in files:
        with open(f, encoding="utf-8") as fh:
            for line in fh:
                line = line.strip()
                if not line:
                    continue
                v = json.loads(line)
                rec = v.get("log", v) if isinstance(v, dict) else v
                if isinstance(rec, dict) and all(has(rec, k) for k in required):
                    records.append(rec)
    if not records:
        sys.exit(f"no records in {files}")
    with open(out, "w", encoding="utf-8") as fh:
        for i in range(count):
            r = dict(records[i % len(records)])
            r["_bench_seq"] = i
            fh.write(json.dumps(r, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
