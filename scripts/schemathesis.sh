#!/usr/bin/env bash
# Runs schemathesis over the OpenAPI document a Lethe binary serves, on a fresh SQLite data
# directory, with a root token. The server must do exactly what its document says.
#
#   scripts/schemathesis.sh [BINARY] [schemathesis run options...]
#
# Defaults: target/debug/lethe (built by `cargo test --workspace`), every check but
# positive_data_acceptance (refusals no schema can express: state, configuration, cross-field and
# cross-record rules; run it with `--checks positive_data_acceptance` to list them), seed 1,
# 20 examples per operation. Fails on any failure and on any unresolvable reference.
#
# With LETHE_CLIENT_CHECK=1 it also generates clients from the served document with
# openapi-generator (Python and TypeScript) and checks that they read every response of the run:
# the Python models inside the run (a schemathesis check, scripts/client_check.py), the
# TypeScript models over the recorded responses afterwards (scripts/ts_client_check.js).
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
OPENAPI_GENERATOR_VERSION=7.26.0
TYPESCRIPT_VERSION=5.9.3
binary="$(realpath "${1:-target/debug/lethe}")"
shift || true
if [ "$#" -eq 0 ]; then
    set -- --checks all --exclude-checks positive_data_acceptance --seed 1 --max-examples 20
fi

if ! schemathesis --version 2>/dev/null | grep -q " ${SCHEMATHESIS_VERSION}\$"; then
    python3 -m pip install --quiet "schemathesis==${SCHEMATHESIS_VERSION}" 2>/dev/null \
        || python3 -m pip install --quiet --break-system-packages "schemathesis==${SCHEMATHESIS_VERSION}"
fi

data="$(mktemp -d)"
port="${SCHEMATHESIS_PORT:-18089}"
secret="schemathesis-$(date +%s%N)"
LETHE__SERVER__DATA_DIR="$data" \
LETHE__SERVER__BIND="127.0.0.1:${port}" \
LETHE__SECURITY__ROOT_CLIENT_SECRET="$secret" \
LETHE__SECURITY__PUBLIC_REQUEST_RATE_LIMIT_PER_MINUTE=1000000 \
LETHE__SECURITY__TOKEN_FAILURE_LIMIT_PER_MINUTE=1000000 \
LETHE__LOG__LEVEL=error \
    "$binary" >"$data/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$data"' EXIT

base="http://127.0.0.1:${port}"
for _ in $(seq 1 100); do
    curl -sf "$base/health" >/dev/null && break
    sleep 0.1
done
token="$(curl -sf -X POST "$base/api/v1/oauth/token" -d grant_type=client_credentials \
    -d client_id=lethe_root -d "client_secret=$secret" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')"

extra=()
if [ "${LETHE_CLIENT_CHECK:-}" = 1 ]; then
    command -v java >/dev/null || {
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null
    }
    if ! openapi-generator-cli version 2>/dev/null | grep -q "^${OPENAPI_GENERATOR_VERSION}\$"; then
        python3 -m pip install --quiet "openapi-generator-cli==${OPENAPI_GENERATOR_VERSION}" 2>/dev/null \
            || python3 -m pip install --quiet --break-system-packages "openapi-generator-cli==${OPENAPI_GENERATOR_VERSION}"
    fi
    clients="$data/clients"
    mkdir -p "$clients"
    curl -sf "$base/openapi.json" -o "$clients/openapi.json"
    openapi-generator-cli generate -i "$clients/openapi.json" -g python -o "$clients/python" \
        --package-name lethe_client >"$clients/python.log" 2>&1 || { cat "$clients/python.log"; exit 1; }
    python3 -m pip install --quiet --target "$clients/site" "$clients/python" 2>/dev/null \
        || python3 -m pip install --quiet --break-system-packages --target "$clients/site" "$clients/python"
    openapi-generator-cli generate -i "$clients/openapi.json" -g typescript-fetch -o "$clients/ts" \
        --additional-properties=supportsES6=true >"$clients/ts.log" 2>&1 || { cat "$clients/ts.log"; exit 1; }
    (cd "$clients/ts" && npm install --silent --no-audit --no-fund "typescript@${TYPESCRIPT_VERSION}" >/dev/null \
        && npx tsc --strict --outDir "$clients/ts-js" --module commonjs --target es2020 --lib es2020,dom \
            --skipLibCheck index.ts) || { echo "the generated TypeScript client does not compile"; exit 1; }
    export PYTHONPATH="$PWD/scripts:$clients/site${PYTHONPATH:+:$PYTHONPATH}"
    export SCHEMATHESIS_HOOKS=client_check
    extra=(--report har --report-har-path "$clients/run.har")
fi

report="$data/schemathesis.txt"
status=0
# From the scratch directory: schemathesis keeps its caches (and replays old failures) in the
# working directory. The health checks suppressed are about how fast hypothesis generates data
# on a busy machine (the nested dataset schema), not about what the server does.
(cd "$data" && schemathesis run "$base/openapi.json" -H "Authorization: Bearer $token" --no-color \
    --suppress-health-check=filter_too_much,too_slow "${extra[@]}" "$@") | tee "$report" || status=$?
if [ "${LETHE_CLIENT_CHECK:-}" = 1 ]; then
    node scripts/ts_client_check.js "$clients/openapi.json" "$clients/run.har" "$clients/ts-js" || status=1
fi
if grep -q "Unresolvable references" "$report"; then
    echo "schemathesis: the document has unresolvable references"
    status=1
fi
if grep -qi "panicked" "$data/server.log"; then
    echo "schemathesis: the server panicked:"
    grep -i -A3 "panicked" "$data/server.log"
    status=1
fi
exit "$status"
