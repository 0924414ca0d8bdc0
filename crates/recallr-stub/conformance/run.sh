#!/usr/bin/env bash
# Conformance of recallr-stub against the vendor's official Python SDK and
# against the OpenAPI spec (Schemathesis). Non-interactive; exits non-zero
# if any check fails.
#
#   bash crates/recallr-stub/conformance/run.sh
#
# CONFORMANCE_VENV: where to create the Python venv (default
# target/conformance-venv, relative to the workspace root).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
cd "$root"

venv="${CONFORMANCE_VENV:-target/conformance-venv}"
spec="$root/openapi/recallr.json"
api_key="rai_stub_key"
project_id="00000000-0000-4000-8000-000000000000"

step() { printf '\n==> %s\n' "$*"; }

step "Python venv at $venv (recallrai, schemathesis; pinned in requirements.txt)"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
venv="$(cd "$venv" && pwd)" # absolute: the checks run from a scratch directory
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
    -r "$here/requirements.txt"

step "cargo build -p recallr-stub"
cargo build --locked --quiet -p recallr-stub --features cli --bin recallr-stub
target_dir="$(cargo metadata --format-version 1 --no-deps --locked |
    "$venv/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
stub="$target_dir/debug/recallr-stub"

work="$(mktemp -d)"
stub_pid=""
flow_pid=""
cleanup() {
    for pid in "$stub_pid" "$flow_pid"; do
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "start recallr-stub serve --users 3 --sessions-per-user 250 --seed 7"
"$stub" serve --users 3 --sessions-per-user 250 --seed 7 \
    >"$work/stub.out" 2>"$work/stub.err" &
stub_pid=$!
base_url=""
for _ in $(seq 1 600); do
    # Only a whole line: a partly written one could hold half a port.
    line=""
    if [ "$(wc -l <"$work/stub.out")" -ge 1 ]; then
        line="$(head -n 1 "$work/stub.out")"
    fi
    if [[ "$line" == "listening on "* ]]; then
        base_url="${line#listening on }"
        break
    fi
    if ! kill -0 "$stub_pid" 2>/dev/null; then
        break
    fi
    sleep 0.1
done
if [ -z "$base_url" ]; then
    echo "error: recallr-stub did not announce its address" >&2
    cat "$work/stub.err" >&2
    exit 1
fi
echo "stub at $base_url"

passed=0
failed=0
record() {
    if [ "$1" -eq 0 ]; then
        passed=$((passed + 1))
        echo "PASS: $2"
    else
        failed=$((failed + 1))
        echo "FAIL: $2 (exit $1)"
    fi
}

step "start a second stub: recallr-stub serve --data seed.json (every resource seeded)"
"$stub" serve --data "$here/seed.json" --processing-ms 200 --resolving-ms 200 \
    >"$work/flow.out" 2>"$work/flow.err" &
flow_pid=$!
flow_url=""
for _ in $(seq 1 600); do
    line=""
    if [ "$(wc -l <"$work/flow.out")" -ge 1 ]; then
        line="$(head -n 1 "$work/flow.out")"
    fi
    if [[ "$line" == "listening on "* ]]; then
        flow_url="${line#listening on }"
        break
    fi
    if ! kill -0 "$flow_pid" 2>/dev/null; then
        break
    fi
    sleep 0.1
done
if [ -z "$flow_url" ]; then
    echo "error: the second recallr-stub did not announce its address" >&2
    cat "$work/flow.err" >&2
    exit 1
fi
echo "second stub at $flow_url"

step "official SDK (recallrai 0.6.6) against the stub"
# Run from a scratch directory: the tools leave caches in the working directory.
set +e
(cd "$work" && "$venv/bin/python" "$here/official_sdk.py" "$base_url")
record $? "official SDK decodes every field and maps the errors"
(cd "$work" && "$venv/bin/python" "$here/official_sdk_flow.py" "$flow_url")
record $? "official SDK drives every method, error paths and the streamed context included"

step "Schemathesis against the stub with openapi/recallr.json (every kept operation)"
# schemathesis_hooks.py: the one failure that is not the stub's (see there).
(cd "$work" && PYTHONPATH="$here" SCHEMATHESIS_HOOKS=schemathesis_hooks \
    "$venv/bin/schemathesis" --config-file "$here/schemathesis.toml" run "$spec" \
    --url "$base_url" \
    -H "X-Recallr-Api-Key: $api_key" \
    -H "X-Recallr-Project-Id: $project_id" \
    --checks not_a_server_error,status_code_conformance,response_schema_conformance \
    --max-examples 200 --seed 7 --workers 1 --request-timeout 10 --no-color)
record $? "Schemathesis: no 5xx, documented statuses, responses match the schemas"
set -e

step "stop the stubs (SIGTERM)"
kill -TERM "$flow_pid"
set +e
wait "$flow_pid"
flow_status=$?
set -e
flow_pid=""
record "$flow_status" "the second recallr-stub exits 0 on SIGTERM"
kill -TERM "$stub_pid"
set +e
wait "$stub_pid"
stub_status=$?
set -e
stub_pid=""
record "$stub_status" "recallr-stub exits 0 on SIGTERM"

printf '\nconformance: %d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
