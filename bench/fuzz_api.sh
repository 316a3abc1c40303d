#!/usr/bin/env bash
# API fuzzing with schemathesis against the OpenAPI document of a running server, signed in
# as the administrator (so every operation, writes included, is reachable). Passes when no
# request gets a 5xx. Usage: bash bench/fuzz_api.sh [max-examples-per-operation]
set -euo pipefail
cd "$(dirname "$0")/.."
EXAMPLES=${1:-50}
command -v st >/dev/null 2>&1 || pip install -q schemathesis
cargo build --release -q -p periclase-cli
BIN=$PWD/target/release/periclase
WORK=$(mktemp -d)
trap 'kill "$SERVER" 2>/dev/null || true; rm -rf "$WORK"' EXIT
"$BIN" --db "$WORK/fuzz.db" demo --enterprises 300 >/dev/null 2>&1
echo "FuzzAdmin2024" | "$BIN" --db "$WORK/fuzz.db" user add fuzz --role admin >/dev/null
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$BIN" --db "$WORK/fuzz.db" serve --addr "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
LOGIN=$(curl -sf -c "$WORK/jar" -H 'content-type: application/json' \
  -d '{"username":"fuzz","password":"FuzzAdmin2024"}' "http://127.0.0.1:$PORT/api/login")
CSRF=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["csrf_token"])' "$LOGIN")
COOKIE=$(awk '$6 == "periclase_session" { print $7 }' "$WORK/jar")
# Logging out would end the fuzzer's own session half way; everything else is fair game.
st run "http://127.0.0.1:$PORT/api/openapi.json" \
  --checks not_a_server_error \
  --exclude-path /api/logout \
  -H "Cookie: periclase_session=$COOKIE" -H "X-CSRF-Token: $CSRF" \
  --max-examples "$EXAMPLES" --workers 2 --request-timeout 10
