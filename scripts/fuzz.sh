#!/usr/bin/env bash
# Coverage-guided fuzzing with cargo-fuzz on the stable toolchain (see FUZZING.md).
#   scripts/fuzz.sh smoke                  every target, a short fixed run; fails on any crash (CI)
#   scripts/fuzz.sh long <target|all> <runs>  long runs; the libFuzzer summary is printed
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
# cargo-fuzz passes nightly-only flags; RUSTC_BOOTSTRAP lets the stable rustc take them.
export RUSTC_BOOTSTRAP=1
export CARGO_INCREMENTAL=0
# Never the main target directory: the instrumentation flags differ.
export CARGO_TARGET_DIR="${VIGIL_FUZZ_TARGET_DIR:-${HOME:-/root}/.cache/vigil/fuzz-target}"
FLAGS=(--sanitizer none -O)

targets() { cargo fuzz list; }

run_one() { # target, libFuzzer args...
  local t="$1"; shift
  local corpus; corpus="$(mktemp -d)"
  local seeds=()
  [ -d "seeds/$t" ] && seeds=("seeds/$t")
  # EVTX is binary and its samples are not ours to ship: when the corpora are at hand
  # (VIGIL_CORPUS), the three smallest EVTX-ATTACK-SAMPLES files seed the run, read in place.
  if [ "$t" = decode_evtx ] && [ -d "${VIGIL_CORPUS:-}/EVTX-ATTACK-SAMPLES" ]; then
    local smallest f
    # Read through a process substitution: `head` closing the pipe early must not fail the run.
    mapfile -t smallest < <(find "$VIGIL_CORPUS/EVTX-ATTACK-SAMPLES" -name '*.evtx' -size -200k -printf '%s\t%p\n' |
      sort -n | head -3 | cut -f2-)
    for f in "${smallest[@]}"; do ln -s "$f" "$corpus/seed-$(basename "$f" | tr -c 'A-Za-z0-9._\n-' _)"; done
  fi
  echo "== fuzz $t $*"
  cargo fuzz run "${FLAGS[@]}" "$t" "$corpus" "${seeds[@]}" -- -timeout=10 -rss_limit_mb=2048 "$@"
  rm -rf "$corpus"
}

mode="${1:-smoke}"
cargo fuzz build "${FLAGS[@]}"
case "$mode" in
  smoke)
    for t in $(targets); do run_one "$t" -runs="${VIGIL_FUZZ_RUNS:-20000}" -max_total_time=20; done
    ;;
  long)
    what="${2:?target or all}"; runs="${3:-10000000}"
    list="$what"; [ "$what" = all ] && list="$(targets)"
    for t in $list; do run_one "$t" -runs="$runs" -max_total_time="${VIGIL_FUZZ_SECONDS:-3600}" -print_final_stats=1; done
    ;;
  *) echo "usage: $0 smoke | long <target|all> <runs>" >&2; exit 2 ;;
esac
