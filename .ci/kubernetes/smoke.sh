#!/usr/bin/env bash
# Proves the cluster up.sh started works for what the project's manifests need, in a namespace labelled
# pod-security.kubernetes.io/enforce=restricted, with a locally built image (default:
# the node stand-in (STANDIN_NODE_IMAGE of .ci/containers/lib.sh) from .ci/containers/provision.sh, imported with load-images.sh):
#   - PodSecurity admission: a privileged pod and a root pod are rejected (server-side dry run);
#   - pods run as non-root and become Ready; `kubectl exec` works;
#   - a PersistentVolumeClaim is bound by the provisioner and writable by a non-root pod through its fsGroup;
#   - a headless Service resolves to the pod's IP through cluster DNS (full and short names);
#   - a ClusterIP Service answers from another pod (kube-proxy);
#   - a pod's ServiceAccount lists EndpointSlices through the API server at kubernetes.default (its ClusterIP),
#     with a Role, and the slice holds the server pod's address;
#   - deleting the namespace deletes the claim's volume (reclaim policy Delete) and its directory.
# Usage: smoke.sh [--keep]   (--keep: leave the namespace for inspection). Prints the time of every check.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"

need_root "smoke.sh (imports into the cluster's containerd)"
resolve_binaries
[ -s "$ADMIN_KUBECONFIG" ] || die "no cluster: run up.sh first"
keep=0
[ "${1:-}" = --keep ] && keep=1
NS=${SMOKE_NAMESPACE:-msk-smoke}
# lib.sh builds the name from NODE_VERSION: read it as bash expands it (a subshell, so nothing else leaks in).
IMAGE=${SMOKE_IMAGE:-$(bash -c '. "$1" && printf %s "$STANDIN_NODE_IMAGE"' _ "$here/../containers/lib.sh")}
IMAGE_UID=${SMOKE_IMAGE_UID:-1000}
FS_GROUP=2000

fail() {
  echo "[kubernetes] smoke check failed: $*" >&2
  kc -n "$NS" get pods,pvc,svc,endpointslices -o wide >&2 2>&1 || true
  kc -n "$NS" get events --sort-by=.lastTimestamp 2>/dev/null | tail -20 >&2 || true
  exit 1
}
xc() { kc -n "$NS" exec client -- "$@"; }

load_image() {
  local out
  out=$("$here/load-images.sh" "$IMAGE" 2>&1) || { printf '%s\n' "$out" >&2; fail "could not import $IMAGE into the cluster"; }
  printf '%s\n' "$out" | grep -v -e '^  ' -e 'step timings' -e '] import ' || true
}

create_namespace() {
  if kc get namespace "$NS" >/dev/null 2>&1; then
    kc delete namespace "$NS" --wait=true --timeout=120s >/dev/null
  fi
  kc apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Namespace
metadata:
  name: $NS
  labels:
    pod-security.kubernetes.io/enforce: restricted
    pod-security.kubernetes.io/enforce-version: latest
    pod-security.kubernetes.io/warn: restricted
EOF
  # The namespace's default ServiceAccount comes from the controller-manager a moment later.
  local _
  for _ in $(seq 1 60); do kc -n "$NS" get serviceaccount default >/dev/null 2>&1 && break; sleep 0.5; done
  ts "namespace $NS (enforce=restricted)"
}

check_pod_security() {
  local out
  if out=$(kc -n "$NS" apply --dry-run=server -f - 2>&1 <<EOF
apiVersion: v1
kind: Pod
metadata: {name: privileged}
spec:
  containers:
  - name: c
    image: $IMAGE
    securityContext: {privileged: true}
EOF
  ); then fail "a privileged pod was admitted in $NS"; fi
  [[ $out == *"violates PodSecurity \"restricted"* ]] || fail "privileged pod rejected for another reason: $out"
  if out=$(kc -n "$NS" apply --dry-run=server -f - 2>&1 <<EOF
apiVersion: v1
kind: Pod
metadata: {name: root}
spec:
  securityContext: {runAsUser: 0, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: c
    image: $IMAGE
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
EOF
  ); then fail "a root pod was admitted in $NS"; fi
  [[ $out == *"runAsUser=0"* || $out == *"runAsNonRoot"* ]] || fail "root pod rejected for another reason: $out"
  ts "PodSecurity restricted: privileged pod and root pod rejected by the API server"
}

apply_workloads() {
  kc -n "$NS" apply -f - >/dev/null <<EOF
apiVersion: v1
kind: ServiceAccount
metadata: {name: smoke}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: endpointslice-reader}
rules:
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: smoke-endpointslice-reader}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: endpointslice-reader}
subjects:
- {kind: ServiceAccount, name: smoke, namespace: $NS}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      automountServiceAccountToken: false
      terminationGracePeriodSeconds: 1   # node as PID 1 has no SIGTERM handler: it would wait the default 30 s
      securityContext: {runAsNonRoot: true, runAsUser: $IMAGE_UID, runAsGroup: $IMAGE_UID, seccompProfile: {type: RuntimeDefault}}
      containers:
      - name: web
        image: $IMAGE
        imagePullPolicy: Never
        command: [node, -e, "require('http').createServer((q, s) => s.end('hello from ' + require('os').hostname())).listen(8080)"]
        ports: [{name: http, containerPort: 8080}]
        readinessProbe:
          httpGet: {path: /, port: http}
          periodSeconds: 1
        securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {name: web-headless}
spec:
  clusterIP: None
  selector: {app: web}
  ports: [{name: http, port: 8080, targetPort: http}]
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 64Mi}}
---
apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  serviceAccountName: smoke
  terminationGracePeriodSeconds: 1
  securityContext:
    runAsNonRoot: true
    runAsUser: $IMAGE_UID
    runAsGroup: $IMAGE_UID
    fsGroup: $FS_GROUP
    seccompProfile: {type: RuntimeDefault}
  containers:
  - name: client
    image: $IMAGE
    imagePullPolicy: Never
    command: [node, -e, "setInterval(() => {}, 1 << 30)"]
    volumeMounts: [{name: data, mountPath: /data}]
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
  volumes:
  - name: data
    persistentVolumeClaim: {claimName: data}
EOF
  kc -n "$NS" wait --for=condition=Ready pod/client --timeout=120s >/dev/null || fail "pod client not Ready"
  kc -n "$NS" rollout status deployment/web --timeout=120s >/dev/null || fail "deployment web not Ready"
  ts "pods Ready: web ($(kc -n "$NS" get pod -l app=web -o jsonpath='{.items[0].status.podIP}')), client ($(kc -n "$NS" get pod client -o jsonpath='{.status.podIP}'))"
}

check_exec_and_user() {
  local ids
  # shellcheck disable=SC2016 # expanded in the pod
  ids=$(xc sh -c 'echo "$(id -u) $(id -G)"') || fail "kubectl exec failed"
  [[ $ids == "$IMAGE_UID "* ]] || fail "client runs as '$ids', expected uid $IMAGE_UID"
  [[ " $ids " == *" $FS_GROUP "* ]] || fail "client's groups '$ids' lack the fsGroup $FS_GROUP"
  ts "kubectl exec: client runs as uid/groups $ids (non-root, fsGroup $FS_GROUP)"
}

check_volume() {
  local phase pv by path out
  phase=$(kc -n "$NS" get pvc data -o jsonpath='{.status.phase}')
  [ "$phase" = Bound ] || fail "claim data is $phase, not Bound"
  pv=$(kc -n "$NS" get pvc data -o jsonpath='{.spec.volumeName}')
  by=$(kc get pv "$pv" -o jsonpath='{.metadata.annotations.pv\.kubernetes\.io/provisioned-by}')
  [ "$by" = "$PROVISIONER_NAME" ] || fail "volume $pv provisioned by '$by'"
  # shellcheck disable=SC2016 # expanded in the pod
  out=$(xc sh -c 'echo written-by-$(id -u) >/data/probe && cat /data/probe && stat -c "%u:%g %A" /data') || fail "client cannot write its claim"
  path=$(kc get pv "$pv" -o jsonpath='{.spec.local.path}')
  [ "$(cat "$path/probe")" = "written-by-$IMAGE_UID" ] || fail "the file is not in the volume's directory $path"
  SMOKE_PV=$pv SMOKE_PV_PATH=$path
  ts "claim data Bound to $pv ($by, $path); written by uid $IMAGE_UID: $(echo "$out" | tail -1)"
}

check_dns() {
  local web_ip got
  web_ip=$(kc -n "$NS" get pod -l app=web -o jsonpath='{.items[0].status.podIP}')
  got=$(xc getent ahostsv4 "web-headless.$NS.svc.$CLUSTER_DOMAIN" | awk 'NR == 1 {print $1}') || fail "headless Service does not resolve"
  [ "$got" = "$web_ip" ] || fail "web-headless resolves to '$got', pod IP is $web_ip"
  got=$(xc getent ahostsv4 web-headless | awk 'NR == 1 {print $1}') || fail "short name does not resolve"
  [ "$got" = "$web_ip" ] || fail "short name web-headless resolves to '$got'"
  got=$(xc getent ahostsv4 "kubernetes.default" | awk 'NR == 1 {print $1}')
  [ "$got" = "$API_SERVICE_IP" ] || fail "kubernetes.default resolves to '$got'"
  ts "cluster DNS in a pod: web-headless(.$NS.svc.$CLUSTER_DOMAIN) -> $web_ip, kubernetes.default -> $got"
}

check_cluster_ip() {
  local ip body
  ip=$(kc -n "$NS" get service web -o jsonpath='{.spec.clusterIP}')
  body=$(xc node -e "fetch('http://web.$NS.svc.$CLUSTER_DOMAIN/').then(r => r.text()).then(t => console.log(t), e => { console.error(e); process.exit(1); })") ||
    fail "ClusterIP Service web not reachable from client"
  [[ $body == "hello from web-"* ]] || fail "unexpected answer from the web Service: $body"
  ts "ClusterIP Service web ($ip:80) from client: '$body'"
}

check_api_from_pod() {
  local out web_ip
  web_ip=$(kc -n "$NS" get pod -l app=web -o jsonpath='{.items[0].status.podIP}')
  out=$(xc node -e '
    const fs = require("fs"), https = require("https"), dns = require("dns");
    const dir = "/var/run/secrets/kubernetes.io/serviceaccount";
    const ns = fs.readFileSync(dir + "/namespace", "utf8");
    dns.lookup("kubernetes.default", { family: 4 }, (err, address) => {
      if (err) { console.error(err); process.exit(1); }
      https.get({ host: "kubernetes.default", path: "/apis/discovery.k8s.io/v1/namespaces/" + ns + "/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dweb-headless",
        ca: fs.readFileSync(dir + "/ca.crt"), headers: { Authorization: "Bearer " + fs.readFileSync(dir + "/token", "utf8") } }, (res) => {
        let body = ""; res.on("data", (c) => (body += c));
        res.on("end", () => {
          if (res.statusCode !== 200) { console.error(res.statusCode, body); process.exit(1); }
          const addresses = JSON.parse(body).items.flatMap((s) => (s.endpoints || []).flatMap((e) => e.addresses));
          console.log(address + " " + addresses.join(","));
        });
      }).on("error", (e) => { console.error(e); process.exit(1); });
    });') || fail "the ServiceAccount cannot list EndpointSlices through kubernetes.default: $out"
  [ "${out%% *}" = "$API_SERVICE_IP" ] || fail "kubernetes.default is ${out%% *}, not the ClusterIP $API_SERVICE_IP"
  [[ ",${out#* }," == *",$web_ip,"* ]] || fail "EndpointSlices of web-headless hold '${out#* }', not $web_ip"
  ts "ServiceAccount smoke listed EndpointSlices via https://kubernetes.default ($API_SERVICE_IP): web-headless -> ${out#* }"
}

cleanup() {
  kc delete namespace "$NS" --wait=true --timeout=120s >/dev/null || fail "namespace $NS not deleted"
  local _
  for _ in $(seq 1 60); do
    kc get pv "$SMOKE_PV" >/dev/null 2>&1 || break
    sleep 0.5
  done
  kc get pv "$SMOKE_PV" >/dev/null 2>&1 && fail "volume $SMOKE_PV still exists after its claim was deleted"
  [ ! -e "$SMOKE_PV_PATH" ] || fail "$SMOKE_PV_PATH still exists after its volume was deleted"
  ts "namespace deleted; volume $SMOKE_PV and its directory removed by the provisioner"
}

step "import $IMAGE" load_image
step "namespace" create_namespace
step "PodSecurity admission" check_pod_security
step "workloads Ready" apply_workloads
step "exec, non-root" check_exec_and_user
step "volume claim" check_volume
step "DNS" check_dns
step "ClusterIP Service" check_cluster_ip
step "API from a pod" check_api_from_pod
if [ $keep = 1 ]; then ts "--keep: namespace $NS left in place"; else step "cleanup" cleanup; fi
ts "smoke check passed"
print_timings
