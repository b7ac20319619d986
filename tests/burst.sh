#!/usr/bin/env bash
# `make run`'s stack, as a newcomer starts it, under a burst: 200 concurrent requests to the fixtures route
# must all be answered (200), and health must still answer after. Without the front door
# (tests/src/bin/front.rs), `cargo lambda watch` answered about 50 and then nothing until restarted.
set -euo pipefail
cd "$(dirname "$0")/.."
port=${BURST_PORT:-9320}
watch_port=${BURST_WATCH_PORT:-9321}
cargo build --quiet --workspace --bins
. tests/local-stack.sh
unset CLUSTERS_DIR SECRETS_LIST_CLUSTERS_DIR SECRETS_ADD_CLUSTERS_DIR VALKEY_URL
export AUTH_DISABLED=true
trap stop_stack EXIT
start_served .run/burst "$port" "$watch_port"
python3 - "$port" <<'PY'
import concurrent.futures, sys, time, urllib.request
from collections import Counter
port = sys.argv[1]
def get(path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as r:
            return r.status
    except Exception as e:
        return type(e).__name__
started = time.time()
with concurrent.futures.ThreadPoolExecutor(200) as pool:
    answers = Counter(pool.map(get, ["/api/v1/fixtures/all-ok"] * 200))
took = time.time() - started
after = get("/api/v1/health")
print(f"burst: 200 concurrent requests -> {dict(answers)} in {took:.1f} s; health after: {after}")
sys.exit(0 if answers == Counter({200: 200}) and after == 200 else 1)
PY
