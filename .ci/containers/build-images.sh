#!/usr/bin/env bash
# Builds multi-server-kit/app and multi-server-kit/sync from the project's Dockerfiles, target `prebuilt`: the
# same runtime stage users get, filled with what was built on this machine (app/.next/standalone, contract/dist, kit/dist,
# sync/dist, the sync workspace's production packages). Containers on CI machines cannot verify the npm
# registry's TLS certificate, so `npm ci` cannot run inside a build there.
#
# Base image: the offline node stand-in (provision.sh) when present, else the official image the Dockerfiles
# name. Override with NODE_IMAGE=... . Fast when nothing changed (the builder's layer cache).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
mkdir -p "$MSK_CI_STATE_DIR"

engine_answers || die "no Docker engine answers (run .ci/containers/provision.sh)"
if [ -z "${NODE_IMAGE:-}" ]; then
  if image_exists "$STANDIN_NODE_IMAGE"; then NODE_IMAGE=$STANDIN_NODE_IMAGE; else NODE_IMAGE=$OFFICIAL_NODE_IMAGE; fi
fi

context="$MSK_CI_STATE_DIR/build-context"
node "$here/stage-build-context.mjs" "$context"

# BuildKit (Debian's 20.10 CLI) builds only the stages the target needs; without it the legacy builder does the
# same here because `prebuilt` comes before the npm stages in both Dockerfiles.
builder=(docker build)
if [ -x "$DEBIAN_DOCKER" ]; then builder=(env DOCKER_BUILDKIT=1 "$DEBIAN_DOCKER" build --progress=plain); fi

build() {
  local image=$1 dockerfile=$2 log
  log="$MSK_CI_STATE_DIR/build-$(basename "$(dirname "$dockerfile")").log"
  local started=$SECONDS
  "${builder[@]}" --target prebuilt --build-arg "NODE_IMAGE=$NODE_IMAGE" \
    -f "$repo/$dockerfile" -t "$image" "$context" >"$log" 2>&1 ||
    { tail -30 "$log" >&2; die "building $image failed (log: $log)"; }
  ts "$image built from $dockerfile (target prebuilt, base $NODE_IMAGE) in $((SECONDS - started)) s: $(docker image inspect --format '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1/1000/1000}')"
}

build "$APP_IMAGE" app/Dockerfile
build "$SYNC_IMAGE" sync/Dockerfile
