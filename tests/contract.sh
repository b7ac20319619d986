#!/usr/bin/env bash
# Contract fuzzing: schemathesis generates requests from shared/openapi.json for every operation and sends
# them to `make run`'s stack (front door, `cargo lambda watch`, the demo cluster, a local Valkey), with the
# operator token so every route is reached. No 5xx, no response outside its schema, no hang; bounded in
# examples and time. Bodies are valid UTF-8: `cargo lambda watch` cannot carry other bytes and answers 500
# itself (API Gateway would base64-encode them; the functions answer 400, see tests/tests/hostile_input.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
port=${CONTRACT_PORT:-9340}
watch_port=${CONTRACT_WATCH_PORT:-9341}
token=sample-operator-token-0123456789
cargo build --quiet --workspace --bins
. tests/local-stack.sh
unset CLUSTERS_DIR SECRETS_LIST_CLUSTERS_DIR SECRETS_ADD_CLUSTERS_DIR VALKEY_URL
export AUTH_PROXY_TOKEN=sample-proxy-token-0123456789 AUTH_OPERATOR_TOKEN=$token
trap stop_stack EXIT
start_served .run/contract "$port" "$watch_port"
fuzz() {
  timeout 600 .venv/bin/schemathesis run shared/openapi.json \
    --url "http://127.0.0.1:$port" \
    --header "X-GlueLinks-Token: $token" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --max-examples "${CONTRACT_EXAMPLES:-25}" \
    --max-response-time 10 \
    --request-timeout 15 \
    --generation-codec utf-8 \
    --generation-deterministic "$@"
}
# Examples and the coverage phase's valid and invalid inputs (missing fields, wrong types, bad JSON)...
fuzz --phases examples,coverage
# ...then random valid inputs. (Random invalid bodies include bytes that are not UTF-8, which only the local
# server cannot carry.)
fuzz --phases fuzzing --mode positive
