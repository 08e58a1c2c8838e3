#!/usr/bin/env bash
# Reproduces the figures in BENCHMARKS.md: a release build, then each corpus through
# `vigil bench ingest` (parse-only floor, decode only, full ingest; one and two threads),
# the simulator's size run, and the demo's wall time.
#   VIGIL_CORPUS=/path/to/corpora scripts/bench.sh            # everything
#   VIGIL_CORPUS=/path/to/corpora scripts/bench.sh detect     # detection only
# The detection section compares against the rsigma CLI (`cargo install rsigma --version 0.23.0
# --no-default-features --features evtx`); set RSIGMA to its path if it is not on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
C="${VIGIL_CORPUS:?set VIGIL_CORPUS to the folder that holds the corpora}"
cargo build --release -p vigil-cli
V="${CARGO_TARGET_DIR:-target}/release/vigil"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

echo "## machine"; nproc; grep -m1 'model name' /proc/cpuinfo || true; free -g | head -2

# Detection: Vigil's scan (1 and 2 threads) beside its parse-only floor, then the same events
# as flat NDJSON (what Sigma sees of each record) through vigil detect and the rsigma CLI.
detect_bench() {
  local name="$1" input="$2" rules="$C/sigma/rules/windows" rs="${RSIGMA:-rsigma}"
  local flat="$scratch/$name.ndjson"
  echo "## detection: SigmaHQ rules/windows over $name"
  "$V" bench detect --no-builtin --rules "$rules" --repeat 3 --dump-sigma "$flat" "$input"
  echo "### peak memory and wall time, vigil detect (threads 1, 2) on the original files"
  for t in 1 2; do
    /usr/bin/time -v "$V" --json detect --no-builtin --threads "$t" --rules "$rules" "$input" 2>&1 >/dev/null \
      | grep -E '^scanned|Maximum resident|Elapsed' | sed "s/^/  threads $t: /"
  done
  # Files of 50,000 lines: under Vigil's 1 GiB payload cap, and several files for two threads.
  local parts="$scratch/$name.parts"
  mkdir -p "$parts"
  split -l 50000 -d -a 3 --additional-suffix=.ndjson "$flat" "$parts/part-"
  echo "### the same events as flat NDJSON ($(wc -l < "$flat") lines, $(du -m "$flat" | cut -f1) MB, $(ls "$parts" | wc -l) files)"
  : > "$scratch/empty.ndjson"
  /usr/bin/time -v "$V" --json detect --no-builtin --threads 1 --rules "$rules" "$scratch/empty.ndjson" 2>&1 >/dev/null \
    | grep -E 'Elapsed' | sed 's/^/  vigil rule load only: /'
  /usr/bin/time -v "$V" --json detect --no-builtin --threads 1 --rules "$rules" "$parts" 2>&1 >/dev/null \
    | grep -E '^scanned|Maximum resident|Elapsed' | sed 's/^/  vigil detect, 1 thread: /'
  /usr/bin/time -v "$V" --json detect --no-builtin --threads 2 --rules "$rules" "$parts" 2>&1 >/dev/null \
    | grep -E '^scanned|Maximum resident|Elapsed' | sed 's/^/  vigil detect, 2 threads: /'
  "$rs" engine eval -r "$rules" -q --output-format ndjson < /dev/null > /dev/null 2>&1 || true
  /usr/bin/time -v "$rs" engine eval -r "$rules" -q --output-format ndjson < /dev/null 2>&1 >/dev/null \
    | grep -E 'Elapsed' | sed 's/^/  rsigma rule load only: /'
  /usr/bin/time -v "$rs" engine eval -r "$rules" -q --output-format ndjson < "$flat" 2> "$scratch/rs.err" \
    | wc -l | sed 's/^/  rsigma CLI matches: /'
  grep -E 'Maximum resident|Elapsed' "$scratch/rs.err" | sed 's/^/  rsigma CLI: /'
  rm -rf "$flat" "$parts"
}
if [ "${1:-}" = "detect" ]; then
  detect_bench EVTX-ATTACK-SAMPLES "$C/EVTX-ATTACK-SAMPLES"
  detect_bench "OTRF atomic windows" "$C/Security-Datasets/datasets/atomic/windows"
  exit 0
fi
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
detect_bench EVTX-ATTACK-SAMPLES "$C/EVTX-ATTACK-SAMPLES"
detect_bench "OTRF atomic windows" "$C/Security-Datasets/datasets/atomic/windows"
echo "## new formats: Panther fixtures repeated to 50,000 records per decoder"
P="$C/panther-analysis-tests"
python3 scripts/fixture-volume.py "$scratch/okta.jsonl" 50000 "$P/Okta_SystemLog.jsonl"
python3 scripts/fixture-volume.py "$scratch/azure.jsonl" 50000 "$P/Azure_Audit.jsonl" "$P/Azure_MonitorActivity.jsonl"
python3 scripts/fixture-volume.py "$scratch/gcp.jsonl" 50000 "$P/GCP_AuditLog.jsonl"
python3 scripts/fixture-volume.py "$scratch/m365.jsonl" 50000 "$P"/Microsoft365_Audit_*.jsonl
python3 scripts/fixture-volume.py --require verb --require requestReceivedTimestamp "$scratch/kubernetes.jsonl" 50000 "$P/Amazon_EKS_Audit.jsonl"
python3 scripts/fixture-volume.py "$scratch/crowdstrike.jsonl" 50000 "$P/Crowdstrike_EventStreams.jsonl"
python3 scripts/fixture-volume.py "$scratch/defender.jsonl" 50000 "$P/MicrosoftGraph_SecurityAlertV2.jsonl"
python3 scripts/fixture-volume.py --require id.time --require name "$scratch/gworkspace.jsonl" 50000 "$P/GSuite_ActivityEvent.jsonl"
python3 scripts/fixture-volume.py "$scratch/proofpoint.jsonl" 50000 "$P/Proofpoint_Event.jsonl"
python3 scripts/fixture-volume.py --require domain "$scratch/umbrella.jsonl" 50000 "$P/CiscoUmbrella_DNS.jsonl"
# Sysmon for Linux: process creations as it writes them to syslog (event XML after the header).
python3 - "$scratch/sysmon-linux.log" <<'PY'
import sys
head = 'Oct 14 19:37:12 web1 sysmon: <Event><System><Provider Name="Linux-Sysmon"/><EventID>1</EventID><Version>5</Version><Level>4</Level><TimeCreated SystemTime="2021-10-14T19:37:12.873000000Z"/>'
with open(sys.argv[1], "w") as f:
    for n in range(50000):
        f.write(head + f'<EventRecordID>{n}</EventRecordID><Channel>Linux-Sysmon/Operational</Channel><Computer>web1</Computer></System><EventData><Data Name="ProcessId">{n}</Data><Data Name="Image">/usr/bin/base64</Data><Data Name="CommandLine">base64 -d /tmp/p{n}</Data><Data Name="CurrentDirectory">/root</Data><Data Name="User">root</Data><Data Name="ParentProcessId">23581</Data><Data Name="ParentImage">/usr/bin/bash</Data><Data Name="ParentCommandLine">-bash</Data></EventData></Event>\n')
PY
mv "$scratch/sysmon-linux.log" "$scratch/sysmon-linux.jsonl"
# Syslog: an auth.log-like mix as a listener receives it (RFC 5424 and RFC 3164 with priorities):
# OpenSSH log-ins, sudo commands, cron and other daemons' messages.
python3 - "$scratch/syslog.log" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for n in range(50000):
        s, m = n % 60, n // 60 % 60
        k = n % 4
        if k == 0:
            f.write(f'<38>1 2026-03-02T10:{m:02}:{s:02}.{n % 1000:03}Z web{n % 50} sshd {n} - - Failed password for invalid user u{n} from 198.51.100.{n % 250} port {20000 + n % 40000} ssh2\n')
        elif k == 1:
            f.write(f'<86>Mar  2 10:{m:02}:{s:02} web{n % 50} sudo: alice{n % 7} : TTY=pts/{n % 9} ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/systemctl restart app{n}\n')
        elif k == 2:
            f.write(f'<78>Mar  2 10:{m:02}:{s:02} web{n % 50} CRON[{n}]: (root) CMD (/usr/local/bin/job{n} >/dev/null 2>&1)\n')
        else:
            f.write(f'<30>1 2026-03-02T10:{m:02}:{s:02}Z web{n % 50} systemd 1 - - Started Session {n} of User alice.\n')
PY
for f in okta azure gcp kubernetes m365 crowdstrike defender gworkspace proofpoint umbrella sysmon-linux; do echo "### $f"; "$V" bench ingest --threads 1 "$scratch/$f.jsonl"; rm -f "$scratch/$f.jsonl"; done
echo "### syslog"; "$V" bench ingest --threads 1 "$scratch/syslog.log"; rm -f "$scratch/syslog.log"
echo "## simulator: 1,000 users x 30 days"
/usr/bin/time -v "$V" --json simulate --users 1000 --days 30 --out "$scratch/sim" 2>&1 | grep -E '"events"|"bytes"|"seconds"|Maximum resident'
rm -rf "$scratch/sim"
echo "## demo (200 users x 14 days)"
/usr/bin/time -v "$V" demo --dir "$scratch/demo" 2>&1 | grep -E 'Elapsed|Maximum resident'
