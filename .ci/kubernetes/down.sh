#!/usr/bin/env bash
# Stops exactly what up.sh started, by the PIDs it recorded (a PID whose process no longer runs the recorded
# executable is left alone): the kubelet first, then the pods through the runtime (CRI: sandboxes stopped, their
# network torn down by the CNI plugins), kube-proxy (and its iptables rules), the provisioner, containerd (and any
# shim of THAT containerd still running), the control plane, etcd. Then removes what up.sh created on the machine:
# mounts under the state dir, its iptables chains, the bridge and the node's interface, the kubelet's empty cgroups,
# the sysctls it changed (when they still hold its value). Keeps $MSK_KUBE_STATE_DIR/logs. Safe to run twice.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

need_root "down.sh"
if [ ! -d "$MSK_KUBE_STATE_DIR" ]; then
  ts "no state in $MSK_KUBE_STATE_DIR: nothing to stop"
  exit 0
fi

# stop NAME [SECONDS]: SIGTERM to the recorded PID if it is still ours, SIGKILL after SECONDS.
stop() {
  local name=$1 limit=${2:-20} pid waited=0
  [ -f "$PID_DIR/$name.pid" ] || return 0
  pid=$(pid_of "$name" || true)
  if ! is_ours "$name"; then
    ts "$name ($pid) not running"
    rm -f "$PID_DIR/$name.pid" "$PID_DIR/$name.exe"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null && [ $waited -lt $((limit * 4)) ]; do
    sleep 0.25
    waited=$((waited + 1))
  done
  if kill -0 "$pid" 2>/dev/null; then
    ts "$name ($pid) still running after ${limit} s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.2
  fi
  ts "stopped $name ($pid)"
  rm -f "$PID_DIR/$name.pid" "$PID_DIR/$name.exe"
}

CRICTL_CMD=()
if component_ready crictl; then CRICTL_CMD=("$(component_dir crictl)/bin/crictl" --runtime-endpoint "unix://$CONTAINERD_SOCK" --timeout 30s); fi

remove_pods() {
  if ! is_ours containerd; then ts "containerd not running: no pods to remove through it"; return 0; fi
  if [ ${#CRICTL_CMD[@]} -eq 0 ]; then ts "crictl not built: pods are left to containerd's shutdown"; return 0; fi
  local pods
  pods=$("${CRICTL_CMD[@]}" pods -q 2>/dev/null | wc -l)
  if [ "$pods" -gt 0 ]; then
    "${CRICTL_CMD[@]}" rmp --all --force >/dev/null 2>&1 || ts "crictl rmp reported an error (continuing)"
  fi
  ts "removed $pods pod sandbox(es) through the CRI"
}

stop_kube_proxy() {
  local had=0
  [ -f "$PID_DIR/kube-proxy.pid" ] && had=1
  stop kube-proxy
  # kube-proxy's own cleanup removes the KUBE-* rules and chains it created; only when we ran it.
  if [ $had = 1 ] && component_ready kubernetes; then
    "$(component_dir kubernetes)/bin/kube-proxy" --cleanup >>"$LOG_DIR/kube-proxy.log" 2>&1 || true
    ts "kube-proxy --cleanup: its iptables rules removed"
  fi
}

# Shims of OUR containerd (their command line names our socket) outlive it when a container still runs.
stop_our_shims() {
  local pid cmdline child found=0
  for pid in $(pgrep -f containerd-shim-runc-v2 || true); do
    cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)
    [[ $cmdline == *" -address $CONTAINERD_SOCK "* || $cmdline == *" -address $CONTAINERD_SOCK" ]] || continue
    found=$((found + 1))
    for child in $(pgrep -P "$pid" || true); do kill -KILL "$child" 2>/dev/null || true; done
    kill -TERM "$pid" 2>/dev/null || true
  done
  [ $found = 0 ] || ts "stopped $found leftover shim(s) of our containerd"
}

unmount_state() {
  local target count=0
  # Deepest first: pod volumes (tmpfs, bind mounts of volumes), container root filesystems, network namespaces.
  while IFS= read -r target; do
    umount "$target" 2>/dev/null || umount -l "$target" 2>/dev/null || true
    count=$((count + 1))
  done < <(findmnt -rn -o TARGET | awk -v p="$MSK_KUBE_STATE_DIR/" 'index($0, p) == 1' | sort -r)
  ts "unmounted $count mount(s) under $MSK_KUBE_STATE_DIR"
}

remove_chain() { # TOOL TABLE CHAIN [PARENT...]
  local tool=$1 table=$2 chain=$3 parent
  shift 3
  command -v "$tool" >/dev/null || return 0
  "$tool" -w -t "$table" -S "$chain" >/dev/null 2>&1 || return 0
  for parent in "$@"; do
    while "$tool" -w -t "$table" -D "$parent" -j "$chain" 2>/dev/null; do :; done
  done
  "$tool" -w -t "$table" -F "$chain" 2>/dev/null || true
  "$tool" -w -t "$table" -X "$chain" 2>/dev/null || true
}
# The chains the kubelet creates itself (kube-proxy's are gone with its --cleanup): KUBE-FIREWALL (drops
# non-local traffic to 127.0.0.0/8), KUBE-IPTABLES-HINT, KUBE-KUBELET-CANARY. Not those that existed before
# up.sh (it lists them in iptables.before).
remove_kubelet_chains() {
  local tool table chain parents
  for tool in iptables ip6tables; do
    while read -r table chain parents; do
      grep -qx "$tool $table $chain" "$MSK_KUBE_STATE_DIR/iptables.before" 2>/dev/null && continue
      # shellcheck disable=SC2086 # parents: a list
      remove_chain "$tool" "$table" "$chain" $parents
    done <<'EOF_CHAINS'
filter KUBE-FIREWALL INPUT OUTPUT
mangle KUBE-IPTABLES-HINT
mangle KUBE-KUBELET-CANARY
nat KUBE-KUBELET-CANARY
filter KUBE-KUBELET-CANARY
EOF_CHAINS
  done
}
cleanup_network() {
  remove_chain iptables filter "$FORWARD_CHAIN" FORWARD
  remove_chain iptables mangle "$FORWARD_CHAIN" FORWARD
  [ ! -f "$MSK_KUBE_STATE_DIR/iptables.before" ] || remove_kubelet_chains
  local link
  for link in "$CNI_BRIDGE" "$NODE_IFACE"; do
    if ip link show "$link" >/dev/null 2>&1; then ip link del "$link"; fi
  done
  if [ -f "$MSK_KUBE_STATE_DIR/sysctl.changed" ]; then
    local key before ours file
    while read -r key before ours; do
      file=/proc/sys/${key//.//}
      if [ "$(cat "$file" 2>/dev/null)" = "$ours" ]; then
        # ip_forward stays on while another engine (dockerd) relies on it.
        if [ "$key" = net.ipv4.ip_forward ] && ip link show docker0 >/dev/null 2>&1; then continue; fi
        echo "$before" >"$file"
      fi
    done <"$MSK_KUBE_STATE_DIR/sysctl.changed"
    rm -f "$MSK_KUBE_STATE_DIR/sysctl.changed"
  fi
  ts "network: our iptables chains, $CNI_BRIDGE and $NODE_IFACE removed"
}

# The kubelet creates /kubepods (cgroupfs driver) under each cgroup v1 hierarchy; remove the now empty tree.
remove_cgroups() {
  local dir
  for dir in /sys/fs/cgroup/*/kubepods; do
    [ -d "$dir" ] || continue
    grep -qx "$dir" "$MSK_KUBE_STATE_DIR/cgroups.before" 2>/dev/null && continue
    find "$dir" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
}

remove_state() {
  local entry
  for entry in "$MSK_KUBE_STATE_DIR"/*; do
    [ "$entry" = "$LOG_DIR" ] || rm -rf "$entry"
  done
  ts "state removed (logs kept in $LOG_DIR)"
}

started=$SECONDS
stop kubelet 30
remove_pods
stop_kube_proxy &
stop msk-local-provisioner &
{ stop containerd 30; stop_our_shims; } &
wait
stop kube-scheduler &
stop kube-controller-manager &
wait
stop kube-apiserver
stop etcd
unmount_state
remove_cgroups
cleanup_network
remove_state
ts "down in $((SECONDS - started)) s"
