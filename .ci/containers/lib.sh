# Shared by the container CI scripts (sourced, not run). Every image and file name used by more than one script,
# and by tests/containers, is defined here once.

# Where the scripts keep their state: the PID of a dockerd they started, logs, the staged build context.
MSK_CI_STATE_DIR=${MSK_CI_STATE_DIR:-/tmp/msk-ci-containers}
DOCKERD_PID_FILE="$MSK_CI_STATE_DIR/dockerd.pid"

# Offline stand-ins for public base images (CI machines cannot pull). Their own names, never the official tags,
# so a machine that later reaches a registry never runs a stand-in by mistake. The Dockerfiles and compose files
# take them through a build argument / variable (NODE_IMAGE, POSTGRES_IMAGE, NGINX_IMAGE).
STANDIN_DEBIAN_IMAGE=msk-ci/debian:bookworm
STANDIN_NODE_IMAGE=msk-ci/node:20.20-bookworm-slim
STANDIN_POSTGRES_IMAGE=msk-ci/postgres:15-bookworm
STANDIN_NGINX_IMAGE=msk-ci/nginx:1.22-bookworm

# The project's images (the Kubernetes manifests and compose files use the same names).
APP_IMAGE=multi-server-kit/app:0.1.0
SYNC_IMAGE=multi-server-kit/sync:0.1.0

# Debian's own docker CLI (20.10) has BuildKit, which the stand-in builds need for secret mounts; the newer CLI
# that may be first on PATH has no buildx.
DEBIAN_DOCKER=/usr/bin/docker

ts() { printf '[containers %4ds] %s\n' "$SECONDS" "$*"; }
die() { printf '[containers] error: %s\n' "$*" >&2; exit 1; }
engine_answers() { docker info >/dev/null 2>&1; }
image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

# The host's apt sources, read at run time (never copied into the repository or an image layer).
apt_sources_file() {
  local file
  for file in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list; do
    if [ -s "$file" ] && grep -qE '^(URIs:|deb )' "$file"; then echo "$file"; return 0; fi
  done
  return 1
}

debian_mirror() {
  local file
  file=$(apt_sources_file) || return 1
  awk '/^URIs:/{print $2; exit} /^deb /{print ($2 ~ /^\[/ ? $3 : $2); exit}' "$file"
}

declare -a MSK_TIMINGS=()
# step NAME COMMAND...: runs one step and records how long it took.
step() {
  local name=$1 started=$SECONDS
  shift
  ts "$name"
  "$@"
  MSK_TIMINGS+=("$(printf '%-30s %4ds' "$name" $((SECONDS - started)))")
}
print_timings() {
  echo "[containers] step timings:"
  local line
  for line in "${MSK_TIMINGS[@]}"; do echo "  $line"; done
  echo "  total                          $(printf '%4ds' "$SECONDS")"
}
