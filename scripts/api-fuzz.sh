#!/usr/bin/env bash
# Fuzzes the served API against its own OpenAPI document with schemathesis, once per role's
# token and once anonymous (see FUZZING.md). Fails when any answer is a 5xx or does not match
# the document (status code, content type, body schema).
#   scripts/api-fuzz.sh [examples per operation]      (default 25)
# Needs `st` (pip install schemathesis) and a built `vigil` (cargo build -p vigil-cli, or
# VIGIL_BIN). Runs on a throw-away data directory holding the demo's data.
set -euo pipefail
cd "$(dirname "$0")/.."

examples="${1:-25}"
target_dir="${CARGO_TARGET_DIR:-target}"
VIGIL="${VIGIL_BIN:-$target_dir/debug/vigil}"
[ -x "$VIGIL" ] || { echo "no vigil binary at $VIGIL (cargo build -p vigil-cli, or set VIGIL_BIN)" >&2; exit 2; }
command -v st >/dev/null 2>&1 || { echo "schemathesis (st) is not on the PATH: pip install schemathesis" >&2; exit 2; }

work="$(mktemp -d)"
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# Real data behind the routes: the demo's pilot (incidents, cases, runs, evidence).
"$VIGIL" --no-progress demo --dir "$work/demo" --days 3 --users 40 >"$work/demo.log" 2>&1 || { cat "$work/demo.log"; exit 1; }
data="$work/demo/data"
[ -d "$data" ] || data="$(sed -n 's/.*--data-dir \([^ ]*\).*/\1/p' "$work/demo.log" | head -1)"

declare -A tokens
for role in admin detection_engineer analyst responder approver auditor executive ingestor; do
  # An ingest token is never a person's: an admin owns it.
  person="$role"; [ "$role" = ingestor ] && person=admin
  user="fuzz.${role//_/-}"
  printf 'a long enough passphrase for %s\n' "$role" |
    "$VIGIL" --data-dir "$data" user create "$user" --roles "$person" >/dev/null
  tokens[$role]="$("$VIGIL" --data-dir "$data" user token create "$user" --name api-fuzz --roles "$role" 2>/dev/null |
    tr -d '\n')"
done

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
VIGIL_ADMIN_PASSWORD="unused because the demo has an admin" \
  "$VIGIL" --data-dir "$data" serve --listen "127.0.0.1:$port" --insecure-cookies >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/api/v1/health" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fsS "http://127.0.0.1:$port/api/v1/health" >/dev/null || { cat "$work/serve.log"; exit 1; }

schema="http://127.0.0.1:$port/api/v1/openapi.json"
checks="not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
failed=0
run_as() { # label, extra st args...
  local label="$1"; shift
  echo "== schemathesis as $label"
  # From the work directory: schemathesis keeps its state in ./.schemathesis.
  if ! (cd "$work" && st run "$schema" --checks "$checks" --max-examples "$examples" --seed 20261206 \
      --request-timeout 30 --phases examples,coverage,fuzzing --no-color "$@"); then
    failed=1
  fi
}
run_as anonymous
# The admin goes last: its run may revoke tokens and disable users, which other runs need.
for role in detection_engineer analyst responder approver auditor executive ingestor admin; do
  run_as "$role" -H "Authorization: Bearer ${tokens[$role]}"
done
if grep -q "panicked" "$work/serve.log"; then
  echo "the server panicked while fuzzed:" >&2
  grep -A5 "panicked" "$work/serve.log" >&2
  failed=1
fi
exit "$failed"
