#!/usr/bin/env bash
# Starts a single-node Kubernetes cluster on this machine, as root, from the binaries build.sh put in the cache:
# etcd, kube-apiserver (Node,RBAC; PodSecurity and NodeRestriction admission), kube-controller-manager,
# kube-scheduler, a containerd instance of its own (Debian's containerd/runc, own socket/root/state, our pause
# image, our CNI plugins), the kubelet (cgroupfs, cgroup v1), kube-proxy (iptables), CoreDNS and a volume
# provisioner behind the default StorageClass. Certificates and service-account keys are generated on the spot.
#
# Everything stays on this machine: the API server and kubelet listen on the address of an interface of ours
# ($NODE_IP), pods on our bridge ($CNI_BRIDGE, $NODE_POD_CIDR) cannot send packets out of other interfaces,
# the containerd never reaches a registry (images are imported, see load-images.sh).
#
# State (certificates, data, logs, one PID file per process): $MSK_KUBE_STATE_DIR (default /tmp/msk-kubernetes).
# Writes $MSK_KUBE_STATE_DIR/admin.kubeconfig and $MSK_KUBE_STATE_DIR/env (source it: KUBECONFIG, MSK_KUBECTL,
# MSK_HELM, ...). Waits until the node is Ready and cluster DNS answers. down.sh stops exactly what this started.
# Prints the time of every stage; on failure, the last lines of the failing component's log.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

need_root "up.sh (network interfaces, iptables, mounts, containerd)"
resolve_binaries
for tool in "$CONTAINERD_BIN" "$CTR_BIN" "$RUNC_BIN" /usr/bin/containerd-shim-runc-v2; do
  [ -x "$tool" ] || die "$tool missing: install Debian's docker.io/containerd/runc (.ci/containers/provision.sh engine)"
done
for tool in openssl iptables ip curl node mount findmnt; do
  command -v "$tool" >/dev/null || die "$tool missing"
done

if is_ours kube-apiserver || is_ours kubelet || is_ours etcd; then
  die "a cluster started by up.sh is already running (state: $MSK_KUBE_STATE_DIR); run down.sh first"
fi
if [ -e "$MSK_KUBE_STATE_DIR" ]; then
  ts "removing the state of a previous cluster in $MSK_KUBE_STATE_DIR (down.sh)"
  "$here/down.sh" >/dev/null
fi
mkdir -p "$PKI_DIR" "$PID_DIR" "$LOG_DIR" "$STATE_BIN_DIR" "$CNI_CONF_DIR" "$VOLUMES_DIR" "$KUBELET_DIR" "$CONTAINERD_DIR"
chmod 0700 "$PKI_DIR"

# start_daemon NAME EXECUTABLE ARGS...: in its own session (the end of the caller's process group does not take
# it along), output to $LOG_DIR/NAME.log, PID and executable recorded for down.sh.
start_daemon() {
  local name=$1 exe=$2
  shift 2
  exe=$(readlink -f "$exe")
  : >"$LOG_DIR/$name.log"
  setsid "$@" >>"$LOG_DIR/$name.log" 2>&1 </dev/null &
  echo $! >"$PID_DIR/$name.pid"
  echo "$exe" >"$PID_DIR/$name.exe"
}
# wait_for NAME SECONDS DESCRIPTION COMMAND...: polls COMMAND until it succeeds; dies with NAME's log tail when
# NAME's process exits or the time is up.
wait_for() {
  local name=$1 limit=$2 what=$3 started=$SECONDS
  shift 3
  until "$@" >/dev/null 2>&1; do
    if [ -n "$name" ] && ! kill -0 "$(pid_of "$name")" 2>/dev/null; then
      die_with_log "$name" "$name exited before $what (log: $LOG_DIR/$name.log)"
    fi
    if [ $((SECONDS - started)) -ge "$limit" ]; then
      die_with_log "${name:-kubelet}" "no $what after ${limit} s (log: $LOG_DIR/${name:-kubelet}.log)"
    fi
    sleep 0.5
  done
}
on_exit() {
  local code=$?
  [ $code = 0 ] || echo "[kubernetes] up.sh failed (exit $code). Logs: $LOG_DIR. Stop what it started: $here/down.sh" >&2
}
trap on_exit EXIT

# --- network ----------------------------------------------------------------------------------------------------
# Original values of the sysctls we set, restored by down.sh when it finds our value still in place.
set_sysctl() {
  local key=$1 value=$2 file current
  file=/proc/sys/${key//.//}
  [ -w "$file" ] || die "cannot write $key (missing module br_netfilter?)"
  current=$(cat "$file")
  [ "$current" = "$value" ] && return 0
  echo "$key $current $value" >>"$MSK_KUBE_STATE_DIR/sysctl.changed"
  echo "$value" >"$file"
}
setup_network() {
  # The KUBE-* chains that exist before we start (down.sh leaves those alone).
  local tool table
  for tool in iptables ip6tables; do
    for table in filter nat mangle; do
      "$tool" -w -t "$table" -S 2>/dev/null | awk -v p="$tool $table" '$1 == "-N" && $2 ~ /^KUBE-/ { print p, $2 }'
    done
  done >"$MSK_KUBE_STATE_DIR/iptables.before"
  # Likewise the kubelet's cgroup tree (cgroupfs driver: /kubepods under each cgroup v1 hierarchy).
  ls -d /sys/fs/cgroup/*/kubepods >"$MSK_KUBE_STATE_DIR/cgroups.before" 2>/dev/null || true
  # The node's own address, a /32 on an interface of our own (no route leaves the machine). This kernel has no
  # `dummy` link type: a veth pair whose peer stays down serves the same purpose (local addresses need no carrier).
  ip link add "$NODE_IFACE" type veth peer name "${NODE_IFACE}p"
  ip addr add "$NODE_IP/32" dev "$NODE_IFACE"
  ip link set "$NODE_IFACE" up
  [ -d /proc/sys/net/bridge ] || modprobe br_netfilter 2>/dev/null || true
  set_sysctl net.ipv4.ip_forward 1                 # pod -> Service -> pod on the same bridge is routed
  set_sysctl net.bridge.bridge-nf-call-iptables 1  # so kube-proxy's rules see bridged replies
  # Pods talk to each other on our bridge; docker's FORWARD policy (DROP) would otherwise drop what kube-proxy
  # routes back onto it. And nothing a pod sends ever leaves through another interface (mangle runs before any
  # filter rule kube-proxy or docker adds).
  iptables -w -N "$FORWARD_CHAIN"
  iptables -w -A "$FORWARD_CHAIN" -i "$CNI_BRIDGE" -o "$CNI_BRIDGE" -j ACCEPT
  iptables -w -I FORWARD 1 -j "$FORWARD_CHAIN"
  iptables -w -t mangle -N "$FORWARD_CHAIN"
  iptables -w -t mangle -A "$FORWARD_CHAIN" -i "$CNI_BRIDGE" ! -o "$CNI_BRIDGE" -j DROP
  iptables -w -t mangle -I FORWARD 1 -j "$FORWARD_CHAIN"
  ts "node address $NODE_IP on $NODE_IFACE; pods $NODE_POD_CIDR on $CNI_BRIDGE; Services $SERVICE_CIDR"
}

# --- certificates and kubeconfigs -------------------------------------------------------------------------------
cert() { # NAME SUBJECT EXTENDED_KEY_USAGE [SUBJECT_ALT_NAMES]
  local name=$1 subject=$2 usage=$3 sans=${4:-} ext
  ext="basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=$usage"
  [ -z "$sans" ] || ext+=$'\n'"subjectAltName=$sans"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "$subject" \
    -keyout "$PKI_DIR/$name.key" -out "$PKI_DIR/$name.csr" 2>/dev/null
  openssl x509 -req -in "$PKI_DIR/$name.csr" -CA "$PKI_DIR/ca.crt" -CAkey "$PKI_DIR/ca.key" -set_serial "0x$(openssl rand -hex 16)" \
    -days 7 -extfile <(echo "$ext") -out "$PKI_DIR/$name.crt" 2>/dev/null
  rm -f "$PKI_DIR/$name.csr"
}
kubeconfig() { # FILE CERT_NAME USER
  local b64='base64 -w0'
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: msk
  cluster:
    server: https://$NODE_IP:$APISERVER_PORT
    certificate-authority-data: $($b64 "$PKI_DIR/ca.crt")
users:
- name: $3
  user:
    client-certificate-data: $($b64 "$PKI_DIR/$2.crt")
    client-key-data: $($b64 "$PKI_DIR/$2.key")
contexts:
- name: $3@msk
  context: {cluster: msk, user: $3}
current-context: $3@msk
EOF
  chmod 0600 "$1"
}
generate_pki() {
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 7 -subj "/CN=msk-kubernetes-ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -keyout "$PKI_DIR/ca.key" -out "$PKI_DIR/ca.crt" 2>/dev/null
  # Service-account tokens: signed by the API server, verified with the public half.
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$PKI_DIR/sa.key" 2>/dev/null
  openssl pkey -in "$PKI_DIR/sa.key" -pubout -out "$PKI_DIR/sa.pub"
  local d=$CLUSTER_DOMAIN
  cert etcd-server "/CN=msk-etcd" serverAuth,clientAuth "IP:127.0.0.1,DNS:localhost"
  cert apiserver-etcd-client "/CN=kube-apiserver-etcd-client" clientAuth
  cert apiserver "/CN=kube-apiserver" serverAuth \
    "IP:$NODE_IP,IP:$API_SERVICE_IP,IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.$d"
  cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" clientAuth
  cert admin "/O=system:masters/CN=msk-admin" clientAuth
  cert controller-manager "/CN=system:kube-controller-manager" clientAuth
  cert scheduler "/CN=system:kube-scheduler" clientAuth
  cert kubelet-client "/O=system:nodes/CN=system:node:$NODE_NAME" clientAuth
  cert kubelet-server "/CN=$NODE_NAME" serverAuth "IP:$NODE_IP,DNS:$NODE_NAME"
  cert kube-proxy "/CN=system:kube-proxy" clientAuth
  cert provisioner "/CN=msk-local-provisioner" clientAuth
  kubeconfig "$ADMIN_KUBECONFIG" admin msk-admin
  kubeconfig "$PKI_DIR/controller-manager.kubeconfig" controller-manager system:kube-controller-manager
  kubeconfig "$PKI_DIR/scheduler.kubeconfig" scheduler system:kube-scheduler
  kubeconfig "$PKI_DIR/kubelet.kubeconfig" kubelet-client "system:node:$NODE_NAME"
  kubeconfig "$PKI_DIR/kube-proxy.kubeconfig" kube-proxy system:kube-proxy
  kubeconfig "$PKI_DIR/provisioner.kubeconfig" provisioner msk-local-provisioner
  ts "certificates (CA, 11 certificates, service-account key pair) and kubeconfigs in $PKI_DIR"
}

# --- control plane ----------------------------------------------------------------------------------------------
start_etcd() {
  start_daemon etcd "$ETCD_BIN" "$ETCD_BIN" --name msk --data-dir "$MSK_KUBE_STATE_DIR/etcd" \
    --listen-client-urls "https://127.0.0.1:$ETCD_CLIENT_PORT" --advertise-client-urls "https://127.0.0.1:$ETCD_CLIENT_PORT" \
    --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
    --initial-cluster msk=http://127.0.0.1:2380 --listen-metrics-urls http://127.0.0.1:2381 \
    --cert-file "$PKI_DIR/etcd-server.crt" --key-file "$PKI_DIR/etcd-server.key" \
    --client-cert-auth --trusted-ca-file "$PKI_DIR/ca.crt" \
    --unsafe-no-fsync --log-level warn
  wait_for etcd 60 "etcd health" curl -sf http://127.0.0.1:2381/health
}
apiserver_ready() {
  curl -sf --cacert "$PKI_DIR/ca.crt" --cert "$PKI_DIR/admin.crt" --key "$PKI_DIR/admin.key" "https://$NODE_IP:$APISERVER_PORT/readyz"
}
start_apiserver() {
  start_daemon kube-apiserver "$KUBE_BIN/msk-kube" "$KUBE_BIN/kube-apiserver" \
    --bind-address="$NODE_IP" --advertise-address="$NODE_IP" --secure-port="$APISERVER_PORT" \
    --etcd-servers="https://127.0.0.1:$ETCD_CLIENT_PORT" --etcd-cafile="$PKI_DIR/ca.crt" \
    --etcd-certfile="$PKI_DIR/apiserver-etcd-client.crt" --etcd-keyfile="$PKI_DIR/apiserver-etcd-client.key" \
    --service-cluster-ip-range="$SERVICE_CIDR" \
    --client-ca-file="$PKI_DIR/ca.crt" --tls-cert-file="$PKI_DIR/apiserver.crt" --tls-private-key-file="$PKI_DIR/apiserver.key" \
    --kubelet-client-certificate="$PKI_DIR/apiserver-kubelet-client.crt" --kubelet-client-key="$PKI_DIR/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority="$PKI_DIR/ca.crt" --kubelet-preferred-address-types=InternalIP \
    --service-account-issuer="https://kubernetes.default.svc.$CLUSTER_DOMAIN" \
    --service-account-key-file="$PKI_DIR/sa.pub" --service-account-signing-key-file="$PKI_DIR/sa.key" \
    --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction \
    --allow-privileged=true --anonymous-auth=false --profiling=false --event-ttl=1h \
    --endpoint-reconciler-type=lease --v=1
  wait_for kube-apiserver 120 "API server readiness" apiserver_ready
  ts "kube-apiserver ready on https://$NODE_IP:$APISERVER_PORT ($(kc version 2>/dev/null | grep -i server || true))"
}
start_controllers() {
  start_daemon kube-controller-manager "$KUBE_BIN/msk-kube" "$KUBE_BIN/kube-controller-manager" \
    --kubeconfig="$PKI_DIR/controller-manager.kubeconfig" \
    --authentication-kubeconfig="$PKI_DIR/controller-manager.kubeconfig" --authorization-kubeconfig="$PKI_DIR/controller-manager.kubeconfig" \
    --bind-address=127.0.0.1 --leader-elect=false --cluster-name=msk \
    --cluster-signing-cert-file="$PKI_DIR/ca.crt" --cluster-signing-key-file="$PKI_DIR/ca.key" \
    --root-ca-file="$PKI_DIR/ca.crt" --service-account-private-key-file="$PKI_DIR/sa.key" --use-service-account-credentials=true \
    --allocate-node-cidrs=true --cluster-cidr="$POD_CIDR" --node-cidr-mask-size=24 --service-cluster-ip-range="$SERVICE_CIDR" \
    --profiling=false --v=1
  start_daemon kube-scheduler "$KUBE_BIN/msk-kube" "$KUBE_BIN/kube-scheduler" \
    --kubeconfig="$PKI_DIR/scheduler.kubeconfig" \
    --authentication-kubeconfig="$PKI_DIR/scheduler.kubeconfig" --authorization-kubeconfig="$PKI_DIR/scheduler.kubeconfig" \
    --bind-address=127.0.0.1 --leader-elect=false --profiling=false --v=1
  wait_for kube-controller-manager 60 "controller-manager health" curl -sfk https://127.0.0.1:10257/healthz
  wait_for kube-scheduler 60 "scheduler health" curl -sfk https://127.0.0.1:10259/healthz
}
# Cluster add-ons: the manifests with their @NAME@ placeholders filled in.
render() {
  sed -e "s|@CLUSTER_DOMAIN@|$CLUSTER_DOMAIN|g" -e "s|@COREDNS_IMAGE@|$COREDNS_IMAGE|g" \
    -e "s|@DNS_SERVICE_IP@|$DNS_SERVICE_IP|g" -e "s|@STORAGE_CLASS@|$STORAGE_CLASS|g" \
    -e "s|@PROVISIONER_NAME@|$PROVISIONER_NAME|g" "$here/manifests/$1"
}
apply_addons() {
  # The default ServiceAccount of a namespace appears a moment after the namespace; CoreDNS needs kube-system's.
  render storage.yaml | kc apply -f - >/dev/null
  render coredns.yaml | kc apply -f - >/dev/null
  ts "applied: StorageClass $STORAGE_CLASS (default), CoreDNS Deployment + kube-dns Service $DNS_SERVICE_IP"
}

# --- node -------------------------------------------------------------------------------------------------------
start_containerd() {
  cat >"$CONTAINERD_DIR/config.toml" <<EOF
# containerd for the CI cluster's kubelet only (up.sh); docker's containerd is a different instance.
version = 2
root = "$CONTAINERD_DIR/root"
state = "$CONTAINERD_DIR/state"
plugin_dir = ""
disabled_plugins = ["io.containerd.internal.v1.tracing", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]
[grpc]
  address = "$CONTAINERD_SOCK"
[ttrpc]
  address = "$CONTAINERD_SOCK.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$CONTAINERD_DIR/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  # No CAP_SYS_RESOURCE on these machines: a container may not get an oom_score_adj below containerd's own
  # (runc fails with "failed to update /proc/self/oom_score_adj: Permission denied" otherwise).
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        BinaryName = "$RUNC_BIN"
        Root = "$CONTAINERD_DIR/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$CNI_BIN_DIR"
    conf_dir = "$CNI_CONF_DIR"
    max_conf_num = 1
EOF
  # HTTP(S)_PROXY on a closed loopback port: an image pull (imagePullPolicy Always, a missing image) fails at
  # once instead of sending anything off this machine. Images come from load-images.sh.
  start_daemon containerd "$CONTAINERD_BIN" env HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 NO_PROXY= \
    "$CONTAINERD_BIN" --config "$CONTAINERD_DIR/config.toml" --log-level warn
  wait_for containerd 30 "containerd socket" "$CTR_BIN" --address "$CONTAINERD_SOCK" version
  "$CTR_BIN" --address "$CONTAINERD_SOCK" -n k8s.io images import --all-platforms "$PAUSE_IMAGE_TAR" >/dev/null
  "$CTR_BIN" --address "$CONTAINERD_SOCK" -n k8s.io images import --all-platforms "$COREDNS_IMAGE_TAR" >/dev/null
  ts "containerd $("$CTR_BIN" --address "$CONTAINERD_SOCK" version 2>/dev/null | awk '/Version/{print $2; exit}') on $CONTAINERD_SOCK; imported $PAUSE_IMAGE, $COREDNS_IMAGE"
}
write_cni_config() {
  cat >"$CNI_CONF_DIR/10-$CNI_NETWORK.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "$CNI_NETWORK",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$CNI_BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": "$NODE_POD_CIDR", "gateway": "$POD_GATEWAY"}]],
        "routes": [{"dst": "0.0.0.0/0"}],
        "dataDir": "$MSK_KUBE_STATE_DIR/cni/ipam"
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF
}
start_kubelet() {
  echo "nameserver $DNS_SERVICE_IP" >"$KUBELET_DIR/resolv.conf"
  cat >"$KUBELET_DIR/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI_DIR/ca.crt}
authorization: {mode: Webhook}
tlsCertFile: $PKI_DIR/kubelet-server.crt
tlsPrivateKeyFile: $PKI_DIR/kubelet-server.key
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
# cgroup v1 (these machines): containerd's runc uses cgroupfs, so does the kubelet. 1.34 still runs on v1.
cgroupDriver: cgroupfs
failCgroupV1: false
cgroupsPerQOS: true
failSwapOn: false
clusterDNS: [$DNS_SERVICE_IP]
clusterDomain: $CLUSTER_DOMAIN
resolvConf: $KUBELET_DIR/resolv.conf
# Imported images cannot be pulled again: never garbage-collect them, never evict for a nearly full disk.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1%}
serializeImagePulls: false
# Lowering an oom_score_adj needs CAP_SYS_RESOURCE, which root does not have on these machines.
oomScoreAdj: 0
rotateCertificates: false
serverTLSBootstrap: false
maxPods: 110
EOF
  start_daemon kubelet "$KUBE_BIN/msk-kube" "$KUBE_BIN/kubelet" \
    --config="$KUBELET_DIR/config.yaml" --kubeconfig="$PKI_DIR/kubelet.kubeconfig" \
    --root-dir="$KUBELET_DIR/root" --hostname-override="$NODE_NAME" --node-ip="$NODE_IP" --v=1
}
node_ready() {
  [ "$(kc get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]
}
start_kube_proxy() {
  cat >"$MSK_KUBE_STATE_DIR/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $PKI_DIR/kube-proxy.kubeconfig}
hostnameOverride: $NODE_NAME
mode: iptables
clusterCIDR: $POD_CIDR
bindAddress: $NODE_IP
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
# NodePorts only on the node's own address, never on the machine's network interface.
nodePortAddresses: [$NODE_IP/32]
# 0: leave the machine's conntrack settings as they are.
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
iptables: {minSyncPeriod: 1s, syncPeriod: 30s}
oomScoreAdj: 0
EOF
  start_daemon kube-proxy "$KUBE_BIN/msk-kube" "$KUBE_BIN/kube-proxy" --config="$MSK_KUBE_STATE_DIR/kube-proxy.yaml" --v=1
  wait_for kube-proxy 60 "kube-proxy health" curl -sf http://127.0.0.1:10256/healthz
}
start_node() {
  start_containerd
  write_cni_config
  start_kubelet
  wait_for kubelet 180 "Ready node $NODE_NAME" node_ready
  # After the Node exists: kube-proxy reads the node's addresses from it.
  start_kube_proxy
  ts "node $NODE_NAME Ready ($(kc get node "$NODE_NAME" -o jsonpath='{.status.nodeInfo.kubeletVersion}, {.status.nodeInfo.containerRuntimeVersion}, pod CIDR {.spec.podCIDR}'))"
}

start_provisioner() {
  start_daemon msk-local-provisioner "$PROVISIONER_BIN" "$PROVISIONER_BIN" --kubeconfig="$PKI_DIR/provisioner.kubeconfig" \
    --provisioner-name="$PROVISIONER_NAME" --root="$VOLUMES_DIR" --node-name="$NODE_NAME"
  sleep 1
  kill -0 "$(pid_of msk-local-provisioner)" 2>/dev/null || die_with_log msk-local-provisioner "msk-local-provisioner exited"
  ts "msk-local-provisioner serves StorageClass $STORAGE_CLASS: volumes in $VOLUMES_DIR"
}

# Cluster DNS answers from the node through the kube-dns Service (kube-proxy's rules, the CoreDNS pod).
dns_answers() {
  node -e '
    const { Resolver } = require("dns").promises;
    const r = new Resolver({ timeout: 1000, tries: 1 });
    r.setServers([process.argv[1]]);
    r.resolve4(process.argv[2]).then((a) => { if (a[0] !== process.argv[3]) process.exit(1); }, () => process.exit(1));
  ' "$DNS_SERVICE_IP" "kubernetes.default.svc.$CLUSTER_DOMAIN" "$API_SERVICE_IP"
}
wait_dns() {
  if ! kc -n kube-system rollout status deployment/coredns --timeout=120s >/dev/null; then
    kc -n kube-system get pods -o wide >&2 || true
    kc -n kube-system describe pods -l k8s-app=kube-dns 2>&1 | tail -25 >&2 || true
    die_with_log kubelet "CoreDNS did not become ready"
  fi
  wait_for "" 60 "DNS answer for kubernetes.default.svc.$CLUSTER_DOMAIN from $DNS_SERVICE_IP" dns_answers
  ts "cluster DNS: kubernetes.default.svc.$CLUSTER_DOMAIN -> $API_SERVICE_IP via $DNS_SERVICE_IP"
}

write_env() {
  ln -sfn "$KUBECTL" "$STATE_BIN_DIR/kubectl"
  ln -sfn "$HELM" "$STATE_BIN_DIR/helm"
  ln -sfn "$CRICTL" "$STATE_BIN_DIR/crictl"
  printf 'runtime-endpoint: unix://%s\nimage-endpoint: unix://%s\ntimeout: 30\n' "$CONTAINERD_SOCK" "$CONTAINERD_SOCK" >"$MSK_KUBE_STATE_DIR/crictl.yaml"
  cat >"$ENV_FILE" <<EOF
# Written by .ci/kubernetes/up.sh: source it to use the CI cluster.
export KUBECONFIG=$ADMIN_KUBECONFIG
export MSK_KUBE_STATE_DIR=$MSK_KUBE_STATE_DIR
export MSK_KUBECTL=$KUBECTL
export MSK_HELM=$HELM
export MSK_CRICTL=$CRICTL
export CRI_CONFIG_FILE=$MSK_KUBE_STATE_DIR/crictl.yaml
export MSK_KUBE_VERSION=$KUBE_VERSION
export MSK_KUBE_NODE_NAME=$NODE_NAME
export MSK_KUBE_NODE_IP=$NODE_IP
export MSK_KUBE_STORAGE_CLASS=$STORAGE_CLASS
export MSK_KUBE_CLUSTER_DOMAIN=$CLUSTER_DOMAIN
export MSK_KUBE_DNS_SERVICE_IP=$DNS_SERVICE_IP
export MSK_KUBE_CONTAINERD_SOCK=$CONTAINERD_SOCK
EOF
}

step "network" setup_network
step "certificates" generate_pki
step "etcd" start_etcd
step "kube-apiserver" start_apiserver
step "controller-manager + scheduler" start_controllers
step "add-ons (storage, DNS)" apply_addons
step "node: containerd, kubelet, proxy" start_node
step "volume provisioner" start_provisioner
step "cluster DNS" wait_dns
write_env
cat <<EOF
[kubernetes] cluster up in ${SECONDS} s: Kubernetes $KUBE_VERSION, node $NODE_NAME ($NODE_IP), pods $NODE_POD_CIDR, Services $SERVICE_CIDR
  source $ENV_FILE                     # KUBECONFIG, MSK_KUBECTL, MSK_HELM, ...
  $STATE_BIN_DIR/kubectl get nodes     # the kubectl built by build.sh (never /usr/bin/kubectl)
  $here/load-images.sh IMAGE...        # Docker engine -> the cluster's containerd (use imagePullPolicy: Never/IfNotPresent)
  $here/down.sh                        # stops everything up.sh started
EOF
print_timings
