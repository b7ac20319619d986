#!/usr/bin/env bash
# Invokes every sample event in events/ through its function with `cargo lambda invoke --data-file`,
# against a private `cargo lambda watch` and the demo cluster, and checks each answer's statusCode is 200
# and that it reports no cluster failure (each function reaches the demo cluster with its own identity).
# An event's function is the longest name in functions/ that prefixes the file's name
# (health-docs.json -> health, secrets-list-default.json -> secrets-list).
set -euo pipefail
cd "$(dirname "$0")/.."
port=${INVOKE_PORT:-9310}
log=$(mktemp)
cargo build --quiet --workspace --bins
. tests/local-stack.sh
unset CLUSTERS_DIR SECRETS_LIST_CLUSTERS_DIR SECRETS_ADD_CLUSTERS_DIR CLUSTER_SECRET_PREFIX \
  SECRETS_LIST_CLUSTER_SECRET_PREFIX SECRETS_ADD_CLUSTER_SECRET_PREFIX VALKEY_URL
start_stack .run/invoke
cargo lambda watch --invoke-address 127.0.0.1 --invoke-port "$port" --disable-cors --ignore-changes >"$log" 2>&1 &
watch_pid=$!
trap 'kill $watch_pid 2>/dev/null; wait $watch_pid 2>/dev/null; stop_stack; rm -f "$log"' EXIT
for _ in $(seq 1 120); do
  curl -s -o /dev/null "http://127.0.0.1:$port/" && break
  sleep 0.5
done

functions=$(ls functions | awk '{ print length, $0 }' | sort -rn | cut -d' ' -f2)
passed=0 failed=0
for event in events/*.json; do
  name=$(basename "$event")
  function=""
  for f in $functions; do
    if [[ $name == "$f-"* ]]; then function=$f; break; fi
  done
  if [[ -z $function ]]; then
    echo "FAIL $name: no function in functions/ prefixes its name"; failed=$((failed + 1)); continue
  fi
  # HTTP functions answer an API Gateway response; the scheduled one (warm) answers its run report.
  expected=200
  [[ $function == warm ]] && expected="report without failures"
  if output=$(cargo lambda invoke "$function" --data-file "$event" -A 127.0.0.1 -P "$port" 2>&1); then
    status=$(python3 -c '
import json, sys
reply = json.load(sys.stdin)
if "statusCode" in reply:
    # A 200 can still carry a cluster failure (the secrets list, a links category): report it.
    try:
        body = json.loads(reply.get("body") or "null")
    except ValueError:
        body = None
    failed = []
    if isinstance(body, dict):
        if body.get("status") in ("cluster_unreachable", "timeout"):
            failed.append("%s: %s" % (body["status"], body.get("message")))
        failed += ["%s: %s" % (c.get("id"), c.get("message")) for c in body.get("categories") or []
                   if c.get("status") == "error"]
    print("%s with %s" % (reply["statusCode"], "; ".join(failed)) if failed else reply["statusCode"])
elif reply.get("clusters", 0) > 0 and not reply.get("failures"):
    print("report without failures")
else:
    print("report: %s" % json.dumps(reply))' <<<"$output" 2>/dev/null || echo "unparsable: $output")
  else
    status="invoke failed: $output"
  fi
  if [[ $status == "$expected" ]]; then
    echo "ok   $name -> $function: $status"; passed=$((passed + 1))
  else
    echo "FAIL $name -> $function: $status (expected $expected)"; failed=$((failed + 1))
  fi
done
echo "invoke: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
