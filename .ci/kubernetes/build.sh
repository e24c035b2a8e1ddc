#!/usr/bin/env bash
# Builds everything the CI cluster runs FROM SOURCE, at pinned versions, through the Go module proxy (no binary is
# downloaded): Kubernetes (kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, kube-proxy and kubectl
# as one binary, msk-kube), etcd, CoreDNS (+ its image), crictl, our volume provisioner, the CNI plugins, Helm,
# and the pod sandbox ("pause") image from pause/pause.c.
#
# Output: $MSK_KUBE_CACHE (default /var/cache/msk-kubernetes)/<component>-<version>-<inputs hash>/, outside the
# repository; GOCACHE/GOMODCACHE stay Go's defaults. A component already in the cache is not built again, so a
# second run builds nothing (and says so). Prints the time of every component.
#
# Usage: build.sh [component...]   (default: all; names: kubernetes etcd coredns crictl provisioner cni-plugins
#        helm pause). Needs Go (/usr/local/go/bin/go or $GO), gcc with static libc, and the Go module proxy.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

use_go_toolchain
mkdir -p "$MSK_KUBE_CACHE"

# The module must keep every k8s.io staging module at the release of k8s.io/kubernetes (v1.X.Y <-> v0.X.Y).
check_module() {
  local want="v0.${KUBE_VERSION#v1.}" bad
  [ -n "$KUBE_VERSION" ] || die "go.mod does not require k8s.io/kubernetes"
  bad=$(awk -v want="$want" '$2 == "=>" && $1 ~ /^k8s\.io\// && $4 != want { print $1 " => " $3 " " $4 }' "$here/go.mod")
  [ -z "$bad" ] || die "go.mod replaces staging modules at another release than $KUBE_VERSION ($want expected):"$'\n'"$bad"
  ts "Go $(go_release); Kubernetes $KUBE_VERSION (staging $want), etcd $ETCD_VERSION, CoreDNS $COREDNS_VERSION, crictl $CRICTL_VERSION, provisioner library $PROVISIONER_LIB_VERSION, CNI plugins $CNI_PLUGINS_VERSION, Helm $HELM_VERSION"
}

# Builds in the module of this folder: go.mod/go.sum are committed and never rewritten by a build.
mod_build() { # OUT PACKAGE LDFLAGS...
  local out=$1 pkg=$2
  shift 2
  (cd "$here" && "$GO" build -mod=readonly -buildvcs=false -trimpath -ldflags "-s -w $*" -o "$out" "$pkg")
}

# An image archive in the OCI layout, for `ctr images import` (no Docker engine needed): one layer made of
# ROOTFS, the image config's "config" object given as JSON, the name in the index annotations.
oci_image_archive() { # OUT REF ROOTFS CONFIG_JSON
  local out=$1 ref=$2 rootfs=$3 config=$4 work layer_digest layer_size diff_id config_digest config_size manifest_digest manifest_size
  work=$(mktemp -d)
  mkdir -p "$work/blobs/sha256"
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$rootfs" -cf "$work/layer.tar" .
  layer_digest=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
  layer_size=$(stat -c %s "$work/layer.tar")
  diff_id=$layer_digest
  mv "$work/layer.tar" "$work/blobs/sha256/$layer_digest"
  printf '{"architecture":"amd64","os":"linux","config":%s,"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created_by":"msk .ci/kubernetes/build.sh"}]}' \
    "$config" "$diff_id" >"$work/config.json"
  config_digest=$(sha256sum "$work/config.json" | cut -d' ' -f1)
  config_size=$(stat -c %s "$work/config.json")
  mv "$work/config.json" "$work/blobs/sha256/$config_digest"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
    "$config_digest" "$config_size" "$layer_digest" "$layer_size" >"$work/manifest.json"
  manifest_digest=$(sha256sum "$work/manifest.json" | cut -d' ' -f1)
  manifest_size=$(stat -c %s "$work/manifest.json")
  mv "$work/manifest.json" "$work/blobs/sha256/$manifest_digest"
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"platform":{"architecture":"amd64","os":"linux"},"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
    "$manifest_digest" "$manifest_size" "$ref" "${ref##*:}" >"$work/index.json"
  echo '{"imageLayoutVersion":"1.0.0"}' >"$work/oci-layout"
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$work" -cf "$out" oci-layout index.json blobs
  rm -rf "$work"
}

build_kubernetes() { # OUT_DIR
  local out=$1 minor ld="" pkg date
  minor=${KUBE_VERSION#v1.}
  minor=${minor%%.*}
  # The release date of the tag, from the module proxy's metadata: the binaries report it like upstream builds.
  date=$(cd "$here" && "$GO" mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/.*"Info": "\(.*\)".*/\1/p' | xargs sed -n 's/.*"Time":"\([^"]*\)".*/\1/p')
  for pkg in "${KUBE_LDFLAGS_VERSION_PKGS[@]}"; do
    ld+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean -X $pkg.buildDate=${date:-unknown}"
  done
  mod_build "$out/bin/msk-kube" ./cmd/msk-kube "$ld"
  local name
  for name in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl; do
    ln -s msk-kube "$out/bin/$name"
  done
}

build_etcd() { mod_build "$1/bin/etcd" go.etcd.io/etcd/server/v3; }

build_coredns() {
  local out=$1 rootfs
  mod_build "$out/bin/coredns" ./cmd/coredns "-X github.com/coredns/coredns/coremain.GitCommit=$COREDNS_VERSION"
  rootfs=$(mktemp -d)
  install -m 0755 "$out/bin/coredns" "$rootfs/coredns"
  # Runs as a non-root user; up.sh's Corefile listens on 1053 (the kube-dns Service maps 53 to it).
  oci_image_archive "$out/coredns-image.tar" "$COREDNS_IMAGE" "$rootfs" \
    '{"Entrypoint":["/coredns"],"User":"65532:65532","ExposedPorts":{"1053/udp":{},"1053/tcp":{}}}'
  rm -rf "$rootfs"
}

build_crictl() { mod_build "$1/bin/crictl" sigs.k8s.io/cri-tools/cmd/crictl "-X sigs.k8s.io/cri-tools/pkg/version.Version=$CRICTL_VERSION"; }

build_provisioner() { mod_build "$1/bin/msk-local-provisioner" ./cmd/msk-local-provisioner; }

# CNI plugins and Helm are separate upstream modules without replace directives: `go install module@version`.
build_cni_plugins() {
  local out=$1 name pkgs=()
  for name in "${CNI_PLUGINS[@]}"; do
    case $name in
      host-local) pkgs+=("github.com/containernetworking/plugins/plugins/ipam/$name@$CNI_PLUGINS_VERSION") ;;
      portmap) pkgs+=("github.com/containernetworking/plugins/plugins/meta/$name@$CNI_PLUGINS_VERSION") ;;
      *) pkgs+=("github.com/containernetworking/plugins/plugins/main/$name@$CNI_PLUGINS_VERSION") ;;
    esac
  done
  (cd "$out" && GOBIN="$out/bin" "$GO" install -trimpath \
    -ldflags "-s -w -X github.com/containernetworking/plugins/pkg/utils/buildversion.BuildVersion=$CNI_PLUGINS_VERSION" "${pkgs[@]}")
}

build_helm() {
  local out=$1 gomod k8s_minor
  # Helm's Makefile sets the Kubernetes version its lint and `template` assume from its client-go version.
  gomod=$(cd "$out" && "$GO" mod download -json "helm.sh/helm/v3@$HELM_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  k8s_minor=$(awk '$1 == "k8s.io/client-go" { split($2, v, "."); print v[2]; exit }' "$gomod")
  [ -n "$k8s_minor" ] || die "cannot read Helm's client-go version from $gomod"
  (cd "$out" && GOBIN="$out/bin" "$GO" install -trimpath -ldflags "-s -w \
    -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean \
    -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$k8s_minor \
    -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$k8s_minor" \
    "helm.sh/helm/v3/cmd/helm@$HELM_VERSION")
}

build_pause() {
  local out=$1 rootfs
  rootfs=$(mktemp -d)
  gcc -static -O2 -s -Wall -Wextra -Werror -o "$rootfs/pause" "$here/pause/pause.c"
  mkdir -p "$out/bin"
  cp "$rootfs/pause" "$out/bin/pause"
  oci_image_archive "$out/pause-image.tar" "$PAUSE_IMAGE" "$rootfs" '{"Entrypoint":["/pause"],"User":"65535:65535"}'
  rm -rf "$rootfs"
}

declare -a BUILT=() CACHED=()
component() { # NAME
  local name=$1 dir started=$SECONDS
  dir=$(component_dir "$name")
  if component_ready "$name"; then
    CACHED+=("$name")
    MSK_TIMINGS+=("$(printf '%-34s %4s' "$name (cached)" 0s)")
    ts "$name: cached in $dir"
    return
  fi
  ts "$name: building into $dir"
  build_into_cache "$name" "$dir" "build_${name//-/_}"
  BUILT+=("$name")
  MSK_TIMINGS+=("$(printf '%-34s %4ds' "$name" $((SECONDS - started)))")
  ts "$name: built in $((SECONDS - started)) s ($(du -sh "$dir" | cut -f1))"
}

check_module
components=("$@")
[ ${#components[@]} -gt 0 ] || components=("${ALL_COMPONENTS[@]}")
for c in "${components[@]}"; do component "$c"; done

if [ ${#BUILT[@]} -eq 0 ]; then
  ts "nothing to build: every component is in $MSK_KUBE_CACHE"
else
  ts "built: ${BUILT[*]}${CACHED:+; cached: ${CACHED[*]}}"
fi
if all_components_ready; then
  resolve_binaries
  ts "kubectl: $KUBECTL ($("$KUBECTL" version --client 2>/dev/null | head -1))"
  ts "helm: $HELM ($("$HELM" version --short 2>/dev/null))"
fi
print_timings
