#!/usr/bin/env bash
# Everything the container tests (tests/containers) need on a CI machine that has no container engine and no
# reachable container registry. Idempotent: each step only does what is missing. Prints how long each step took.
#
#   1. engine     when no Docker engine answers: install docker.io, docker-compose (v1) and debootstrap from
#                 Debian's packages (as root) and start dockerd; its PID goes to $MSK_CI_STATE_DIR/dockerd.pid
#                 so `.ci/containers/stop.sh` stops exactly that process. An engine that already answers is used
#                 as it is and never stopped.
#   2. stand-ins  offline stand-ins for the public base images: Debian (debootstrap + docker import), node
#                 (that Debian + this machine's Node.js binary), postgres and nginx (Debian's packages).
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
  command -v docker-compose >/dev/null 2>&1 || wanted+=(docker-compose)
  command -v debootstrap >/dev/null 2>&1 || wanted+=(debootstrap)
  if [ ${#wanted[@]} -eq 0 ]; then ts "packages present: dockerd, docker-compose, debootstrap"; return; fi
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

build_debian_standin() {
  if image_exists "$STANDIN_DEBIAN_IMAGE"; then ts "$STANDIN_DEBIAN_IMAGE present"; return; fi
  local mirror rootfs
  mirror=$(debian_mirror) || die "cannot read a Debian mirror from apt's sources"
  rootfs=$(mktemp -d /tmp/msk-rootfs.XXXXXX)
  ts "debootstrap bookworm (minbase) -> $STANDIN_DEBIAN_IMAGE"
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$MSK_CI_STATE_DIR/debootstrap.log" 2>&1 ||
    { tail -20 "$MSK_CI_STATE_DIR/debootstrap.log" >&2; rm -rf "$rootfs"; die "debootstrap failed"; }
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/bootstrap.log
  # No mirror inside the image: builds that need Debian packages mount the host's sources as a build secret.
  rm -f "$rootfs"/etc/apt/sources.list.d/*
  echo '# offline stand-in: no sources (CI builds mount the host sources as a BuildKit secret)' >"$rootfs/etc/apt/sources.list"
  tar -C "$rootfs" -c . | docker import \
    --change 'CMD ["bash"]' \
    --change 'LABEL org.opencontainers.image.description="offline stand-in for debian:bookworm-slim (debootstrap minbase)"' \
    - "$STANDIN_DEBIAN_IMAGE" >/dev/null
  rm -rf "$rootfs"
}

build_node_standin() {
  if image_exists "$STANDIN_NODE_IMAGE"; then ts "$STANDIN_NODE_IMAGE present"; return; fi
  local context node_binary
  context=$(mktemp -d /tmp/msk-node-context.XXXXXX)
  node_binary=$(readlink -f "$(command -v node)")
  cp "$here/standins/node/Dockerfile" "$here/standins/node/docker-entrypoint.sh" "$context/"
  cp "$node_binary" "$context/node"
  ts "$STANDIN_NODE_IMAGE from $STANDIN_DEBIAN_IMAGE + this machine's node $(node --version)"
  docker build -q --build-arg "DEBIAN_IMAGE=$STANDIN_DEBIAN_IMAGE" -t "$STANDIN_NODE_IMAGE" "$context" \
    >"$MSK_CI_STATE_DIR/build-node.log" 2>&1 || { tail -20 "$MSK_CI_STATE_DIR/build-node.log" >&2; rm -rf "$context"; die "node stand-in build failed"; }
  rm -rf "$context"
}

# Stand-ins with Debian packages: BuildKit (Debian's CLI) mounts the host's apt sources as a secret, so the
# mirror never lands in a layer.
# An image made from an older version of its folder (e.g. the entrypoint changed) is rebuilt: the tests must run
# what the folder says.
build_apt_standin() {
  local image=$1 folder=$2 sources hash
  hash=$(cd "$here/standins/$folder" && sha256sum -- * | sha256sum | cut -c1-16)
  if image_exists "$image" && [ "$(docker image inspect -f '{{index .Config.Labels "msk.standin.hash"}}' "$image")" = "$hash" ]; then
    ts "$image present"; return
  fi
  sources=$(apt_sources_file) || die "cannot find apt's sources file"
  ts "$image from $STANDIN_DEBIAN_IMAGE + Debian packages"
  DOCKER_BUILDKIT=1 "$DEBIAN_DOCKER" build --progress=plain \
    --secret "id=apt_sources,src=$sources" \
    --build-arg "DEBIAN_IMAGE=$STANDIN_DEBIAN_IMAGE" --label "msk.standin.hash=$hash" \
    -t "$image" "$here/standins/$folder" >"$MSK_CI_STATE_DIR/build-$folder.log" 2>&1 ||
    { tail -30 "$MSK_CI_STATE_DIR/build-$folder.log" >&2; die "$folder stand-in build failed (log: $MSK_CI_STATE_DIR/build-$folder.log)"; }
}

build_standins() {
  build_debian_standin
  build_node_standin
  build_apt_standin "$STANDIN_POSTGRES_IMAGE" postgres
  build_apt_standin "$STANDIN_NGINX_IMAGE" nginx
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
