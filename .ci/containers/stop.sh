#!/usr/bin/env bash
# Stops the dockerd that provision.sh started (by the PID it recorded) and nothing else. An engine that was
# already running before provision.sh is left alone: then there is no PID file. Safe to run twice.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

if [ ! -s "$DOCKERD_PID_FILE" ]; then
  echo "[containers] no dockerd started by provision.sh ($DOCKERD_PID_FILE absent): nothing to stop"
  exit 0
fi
pid=$(cat "$DOCKERD_PID_FILE")
if ! kill -0 "$pid" 2>/dev/null || [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != dockerd ]; then
  echo "[containers] dockerd $pid is not running; removing the stale PID file"
  rm -f "$DOCKERD_PID_FILE"
  exit 0
fi
started=$SECONDS
kill -TERM "$pid"
# dockerd stops its containers (their own stop timeouts) and its containerd before it exits.
for _ in $(seq 1 60); do
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.5
done
if kill -0 "$pid" 2>/dev/null; then
  echo "[containers] dockerd $pid still running after 30 s: SIGKILL"
  kill -KILL "$pid"
fi
rm -f "$DOCKERD_PID_FILE"
echo "[containers] stopped dockerd $pid in $((SECONDS - started)) s"
