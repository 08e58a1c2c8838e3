#!/usr/bin/env python3
"""Writes a benchmark input for one decoder from vendor-shaped test fixtures: the records of the
given fixture files (JSON lines, each {"log": {...}} or a bare record), repeated to COUNT lines,
each copy made distinct (a `_bench_seq` field) so ingest stores every one instead of deduping.

usage: fixture-volume.py OUT COUNT FIXTURE.jsonl [FIXTURE.jsonl ...]"""
import json
import sys


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    out, count, files = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    records = []
    for f in files:
        with open(f, encoding="utf-8") as fh:
            for line in fh:
                line = line.strip()
                if not line:
                    continue
                v = json.loads(line)
                rec = v.get("log", v) if isinstance(v, dict) else v
                if isinstance(rec, dict):
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
