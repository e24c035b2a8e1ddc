#!/usr/bin/env bash
# Imports images from the Docker engine into the CI cluster's containerd (namespace k8s.io, where the kubelet
# looks), so pods run them without any pull (no registry is reachable; the cluster's containerd cannot pull).
# The project images come from .ci/containers/provision.sh (multi-server-kit/app:0.1.0, multi-server-kit/sync:0.1.0,
# stand-ins such as msk-ci/postgres:17-trixie). A name without a registry is docker.io/<name> for both Docker
# and the kubelet, so a pod spec uses the same `image:` as `docker run`. Use imagePullPolicy Never or IfNotPresent.
#
# An image whose Docker image ID was already imported (and is still in containerd) is skipped.
# Usage: load-images.sh IMAGE...        Prints the time of each import.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

need_root "load-images.sh (the cluster's containerd socket)"
[ $# -gt 0 ] || die "usage: $0 IMAGE..."
is_ours containerd || die "the cluster's containerd is not running (start the cluster with up.sh)"
docker info >/dev/null 2>&1 || die "no Docker engine answers (.ci/containers/provision.sh engine)"
ctr_k8s() { "$CTR_BIN" --address "$CONTAINERD_SOCK" -n k8s.io "$@"; }
mkdir -p "$MSK_KUBE_STATE_DIR/images"

# docker.io normalisation, as the kubelet and containerd do it.
full_ref() {
  local ref=$1 first=${1%%/*}
  [[ $ref == */* ]] || ref="library/$ref"
  if [[ $1 == */* && ( $first == *.* || $first == *:* || $first == localhost ) ]]; then echo "$1"; else echo "docker.io/$ref"; fi
}

import_image() {
  local image=$1 id ref marker
  id=$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null) || die "image $image is not in the Docker engine (build it first: .ci/containers/provision.sh)"
  ref=$(full_ref "$image")
  [[ $ref == *:* || $ref == *@* ]] || ref="$ref:latest"
  marker="$MSK_KUBE_STATE_DIR/images/$(echo "$ref" | tr '/:@' '___').id"
  if [ "$(cat "$marker" 2>/dev/null)" = "$id" ] && ctr_k8s images ls -q "name==$ref" | grep -qx "$ref"; then
    ts "$ref: already imported (${id:7:12})"
    return
  fi
  docker save "$image" | ctr_k8s images import --all-platforms - >/dev/null ||
    die "importing $image into the cluster's containerd failed"
  ctr_k8s images ls -q "name==$ref" | grep -qx "$ref" || die "$ref is not in the cluster's containerd after the import"
  echo "$id" >"$marker"
  ts "$ref: imported (${id:7:12}, $(docker image inspect --format '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1/1000/1000}'))"
}

for image in "$@"; do step "import $image" import_image "$image"; done
print_timings
