#!/usr/bin/env bash
# `make bench`'s load figures: a bounded load through `make run`'s own HTTP front end (the front door and
# `cargo lambda watch`, debug builds, as a newcomer runs it) at a fixed concurrency, reporting throughput,
# p50/p99 latency and errors for the fixtures route, the links route with a warm cache (one app, asked
# again and again) and with a cold one (500 apps, each asked once).
set -euo pipefail
cd "$(dirname "$0")/.."
port=${LOAD_PORT:-9330}
watch_port=${LOAD_WATCH_PORT:-9331}
cargo build --quiet --workspace --bins
. tests/local-stack.sh
unset CLUSTERS_DIR SECRETS_LIST_CLUSTERS_DIR SECRETS_ADD_CLUSTERS_DIR VALKEY_URL
export AUTH_DISABLED=true EMULATOR_ARGS="--many-apps 500"
trap stop_stack EXIT
start_served .run/load "$port" "$watch_port"
python3 - "$port" <<'PY'
import concurrent.futures, sys, time, urllib.request
port = sys.argv[1]
CONCURRENCY = 32

def get(target):
    path, headers = target
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            r.read()
            ok = r.status == 200
    except Exception:
        ok = False
    return time.perf_counter() - started, ok

def run(label, targets):
    get(targets[0])  # each function's process started before timing
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(CONCURRENCY) as pool:
        results = list(pool.map(get, targets))
    wall = time.perf_counter() - started
    times = sorted(t for t, _ in results)
    errors = sum(1 for _, ok in results if not ok)
    p = lambda q: times[min(len(times) - 1, int(q * len(times)))] * 1e3
    verdict = "met" if errors == 0 else "MISSED"
    print(f"{label:<28} {len(targets):>5} requests at {CONCURRENCY} at once: {len(targets) / wall:>7.0f} req/s  "
          f"p50 {p(0.5):>6.1f} ms  p99 {p(0.99):>6.1f} ms  errors {errors}  goal 0 errors: {verdict}")

app = lambda name: ("/api/links", {"Argocd-Application-Name": f"argocd:{name}"})
print(f"== load through make run's front end (debug builds, cargo lambda watch) ==")
run("fixtures all-ok", [("/api/v1/fixtures/all-ok", {})] * 2000)
run("links, cache warm (1 app)", [app("billing-api")] * 2000)
run("links, cache cold (500 apps)", [app(f"app-{i:04d}") for i in range(500)])
PY
