#!/usr/bin/env bash
# Reproduces the figures in BENCHMARKS.md: a release build, then each corpus through
# `vigil bench ingest` (parse-only floor, decode only, full ingest; one and two threads),
# the simulator's size run, and the demo's wall time.
#   VIGIL_CORPUS=../shared/data scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
C="${VIGIL_CORPUS:?set VIGIL_CORPUS to the corpus folder (../shared/data)}"
cargo build --release -p vigil-cli
V="${CARGO_TARGET_DIR:-target}/release/vigil"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

echo "## machine"; nproc; grep -m1 'model name' /proc/cpuinfo || true; free -g | head -2
echo "## EVTX-ATTACK-SAMPLES (277 .evtx files)"
find "$C/EVTX-ATTACK-SAMPLES" -name '*.evtx' -print0 | xargs -0 "$V" bench ingest --repeat 3
echo "## invictus-aws_dataset (CloudTrail)"
"$V" bench ingest --repeat 3 "$C/invictus-aws_dataset/CloudTrail"
echo "## zed-sample-data (Zeek JSON, gzip)"
"$V" bench ingest --repeat 3 "$C/zed-sample-data/zeek-json"
echo "## Security-Datasets atomic windows (Sysmon/Security JSON in zip)"
"$V" bench ingest "$C/Security-Datasets/datasets/atomic/windows"
echo "## peak memory, full ingest of the OTRF set on two threads"
/usr/bin/time -v "$V" --data-dir "$scratch/otrf" ingest --threads 2 "$C/Security-Datasets/datasets/atomic/windows" 2>&1 | grep -E 'Maximum resident|Elapsed'
echo "## simulator: 1,000 users x 30 days"
/usr/bin/time -v "$V" --json simulate --users 1000 --days 30 --out "$scratch/sim" 2>&1 | grep -E '"events"|"bytes"|"seconds"|Maximum resident'
rm -rf "$scratch/sim"
echo "## demo (200 users x 14 days)"
/usr/bin/time -v "$V" demo --dir "$scratch/demo" 2>&1 | grep -E 'Elapsed|Maximum resident'
