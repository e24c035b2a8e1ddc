# Shared by the Kubernetes CI scripts (sourced, not run): versions, paths, the cluster's addresses and the
# helpers every script uses. Every name used by more than one script is defined here once.
# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables are used by the scripts that source this file

KUBE_CI_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib/go.sh
. "$KUBE_CI_DIR/../lib/go.sh"

# Binaries: built once per version into a cache OUTSIDE the repository (build.sh); never on PATH, never the
# kubectl a machine happens to have. State of a running cluster: certificates, kubeconfigs, data, logs, PIDs.
MSK_KUBE_CACHE=${MSK_KUBE_CACHE:-/var/cache/msk-kubernetes}
MSK_KUBE_STATE_DIR=${MSK_KUBE_STATE_DIR:-/tmp/msk-kubernetes}

# Versions. The Go module in this folder (go.mod) pins Kubernetes, etcd, CoreDNS, crictl and the provisioner
# library together; the others are separate upstream modules built with `go install`.
mod_version() { awk -v m="$1" '$1 == m && $2 ~ /^v/ { print $2; exit }' "$KUBE_CI_DIR/go.mod"; }
KUBE_VERSION=$(mod_version k8s.io/kubernetes)
ETCD_VERSION=$(mod_version go.etcd.io/etcd/server/v3)
COREDNS_VERSION=$(mod_version github.com/coredns/coredns)
CRICTL_VERSION=$(mod_version sigs.k8s.io/cri-tools)
PROVISIONER_LIB_VERSION=$(mod_version sigs.k8s.io/sig-storage-lib-external-provisioner/v11)
CNI_PLUGINS_VERSION=v1.10.0
CNI_PLUGINS=(bridge host-local loopback portmap)
HELM_VERSION=v3.21.4

# The node's runtime: Debian's containerd and runc (the docker.io package), run as a separate instance.
CONTAINERD_BIN=${CONTAINERD_BIN:-/usr/bin/containerd}
CTR_BIN=${CTR_BIN:-/usr/bin/ctr}
RUNC_BIN=${RUNC_BIN:-/usr/sbin/runc}

# Addresses. Everything lives on this machine: an interface of ours (a veth pair) holds the node's address (the API server and
# the kubelet listen there, never on 0.0.0.0), pods sit on our own bridge, Services are kube-proxy's iptables
# rules. None of the ranges meets docker's 172.17.0.0/16.
NODE_NAME=msk-node
NODE_IFACE=msk-node0
NODE_IP=10.250.0.1
CNI_BRIDGE=msk-cni0
CNI_NETWORK=msk-pods
POD_CIDR=10.244.0.0/16
NODE_POD_CIDR=10.244.0.0/24
POD_GATEWAY=10.244.0.1
SERVICE_CIDR=10.96.0.0/16
API_SERVICE_IP=10.96.0.1
DNS_SERVICE_IP=10.96.0.10
CLUSTER_DOMAIN=cluster.local
APISERVER_PORT=6443
ETCD_CLIENT_PORT=2379
STORAGE_CLASS=msk-local
PROVISIONER_NAME=msk.local/node-directory
FORWARD_CHAIN=MSK-KUBE-FORWARD

# Images that exist only on this machine (imported into the cluster's containerd, never pulled).
PAUSE_IMAGE=docker.io/msk-ci/pause:msk-1
COREDNS_IMAGE=docker.io/msk-ci/coredns:${COREDNS_VERSION#v}

# State layout.
PKI_DIR=$MSK_KUBE_STATE_DIR/pki
PID_DIR=$MSK_KUBE_STATE_DIR/pids
LOG_DIR=$MSK_KUBE_STATE_DIR/logs
ADMIN_KUBECONFIG=$MSK_KUBE_STATE_DIR/admin.kubeconfig
CONTAINERD_DIR=$MSK_KUBE_STATE_DIR/containerd
CONTAINERD_SOCK=$CONTAINERD_DIR/containerd.sock
KUBELET_DIR=$MSK_KUBE_STATE_DIR/kubelet
CNI_CONF_DIR=$MSK_KUBE_STATE_DIR/cni/net.d
VOLUMES_DIR=$MSK_KUBE_STATE_DIR/volumes
STATE_BIN_DIR=$MSK_KUBE_STATE_DIR/bin
ENV_FILE=$MSK_KUBE_STATE_DIR/env

ts() { printf '[kubernetes %4ds] %s\n' "$SECONDS" "$*"; }
die() { printf '[kubernetes] error: %s\n' "$*" >&2; exit 1; }
need_root() { [ "$(id -u)" = 0 ] || die "$1 needs root"; }

MSK_TIMINGS_LABEL=kubernetes MSK_TIMINGS_WIDTH=34
# shellcheck source-path=SCRIPTDIR source=../lib/timings.sh
. "$KUBE_CI_DIR/../lib/timings.sh"

# --- the binary cache -------------------------------------------------------------------------------------------
# A component's folder is named after its version plus a short hash of everything else that shapes the binary
# (go.mod/go.sum, our own sources, the Go release, BUILD_REV: inputs_hash of ../lib/go.sh), so a change rebuilds it
# and nothing else. Bump BUILD_REV when build.sh changes how components are built (flags, packaging).
BUILD_REV=1
KUBE_LDFLAGS_VERSION_PKGS=(k8s.io/component-base/version k8s.io/client-go/pkg/version)
component_dir() { # NAME -> folder in the cache
  local name=$1 m="$KUBE_CI_DIR/go.mod" s="$KUBE_CI_DIR/go.sum"
  case $name in
    kubernetes) echo "$MSK_KUBE_CACHE/kubernetes-$KUBE_VERSION-$(inputs_hash "$m" "$s" "$KUBE_CI_DIR/cmd/msk-kube/main.go" "build-v$BUILD_REV")" ;;
    etcd) echo "$MSK_KUBE_CACHE/etcd-$ETCD_VERSION-$(inputs_hash "$m" "$s" "build-v$BUILD_REV")" ;;
    coredns) echo "$MSK_KUBE_CACHE/coredns-$COREDNS_VERSION-$(inputs_hash "$m" "$s" "$KUBE_CI_DIR/cmd/coredns/main.go" "build-v$BUILD_REV")" ;;
    crictl) echo "$MSK_KUBE_CACHE/crictl-$CRICTL_VERSION-$(inputs_hash "$m" "$s" "build-v$BUILD_REV")" ;;
    provisioner) echo "$MSK_KUBE_CACHE/msk-local-provisioner-$PROVISIONER_LIB_VERSION-$(inputs_hash "$m" "$s" "$KUBE_CI_DIR/cmd/msk-local-provisioner/main.go" "build-v$BUILD_REV")" ;;
    cni-plugins) echo "$MSK_KUBE_CACHE/cni-plugins-$CNI_PLUGINS_VERSION-$(inputs_hash "${CNI_PLUGINS[*]}" "build-v$BUILD_REV")" ;;
    helm) echo "$MSK_KUBE_CACHE/helm-$HELM_VERSION-$(inputs_hash "build-v$BUILD_REV")" ;;
    pause) echo "$MSK_KUBE_CACHE/pause-$(inputs_hash "$KUBE_CI_DIR/pause/pause.c" "$(gcc --version 2>/dev/null | head -1)" "build-v$BUILD_REV")" ;;
    *) die "unknown component $name" ;;
  esac
}
# A component is complete when build.sh wrote its .complete marker (after every file was in place).
component_ready() { [ -f "$(component_dir "$1")/.complete" ]; }

ALL_COMPONENTS=(kubernetes etcd coredns crictl provisioner cni-plugins helm pause)
all_components_ready() { local c; for c in "${ALL_COMPONENTS[@]}"; do component_ready "$c" || return 1; done; }

# Where every binary is, once build.sh ran. Exits with a clear message when one is missing.
resolve_binaries() {
  local c
  for c in "${ALL_COMPONENTS[@]}"; do
    component_ready "$c" || die "$c is not built for this checkout ($(component_dir "$c") missing): run .ci/kubernetes/build.sh"
  done
  KUBE_BIN=$(component_dir kubernetes)/bin
  KUBECTL=$KUBE_BIN/kubectl
  ETCD_BIN=$(component_dir etcd)/bin/etcd
  COREDNS_IMAGE_TAR=$(component_dir coredns)/coredns-image.tar
  CRICTL=$(component_dir crictl)/bin/crictl
  PROVISIONER_BIN=$(component_dir provisioner)/bin/msk-local-provisioner
  CNI_BIN_DIR=$(component_dir cni-plugins)/bin
  HELM=$(component_dir helm)/bin/helm
  PAUSE_IMAGE_TAR=$(component_dir pause)/pause-image.tar
}

# --- processes ----------------------------------------------------------------------------------------------------
# Every process the scripts start gets a PID file $PID_DIR/NAME.pid and a log $LOG_DIR/NAME.log; down.sh stops
# exactly those PIDs (after checking the process still is the binary that was started).
pid_of() { local f="$PID_DIR/$1.pid"; [ -s "$f" ] && cat "$f"; }
# is_ours NAME: the recorded PID is alive and still runs the executable we recorded for it.
is_ours() {
  local pid exe
  pid=$(pid_of "$1") || return 1
  [ -d "/proc/$pid" ] || return 1
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
  [ "$exe" = "$(cat "$PID_DIR/$1.exe" 2>/dev/null)" ]
}
log_tail() { # NAME [LINES]
  local log="$LOG_DIR/$1.log"
  [ -f "$log" ] || return 0
  echo "----- last ${2:-40} lines of $log -----" >&2
  tail -n "${2:-40}" "$log" >&2
  echo "-----" >&2
}
die_with_log() { log_tail "$1" "${3:-40}"; die "$2"; }

kc() { "$KUBECTL" --kubeconfig "$ADMIN_KUBECONFIG" "$@"; }
