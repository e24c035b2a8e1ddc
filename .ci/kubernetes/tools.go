//go:build tools

// Upstream main packages build.sh compiles from this module, so that go.mod/go.sum pin them together with
// k8s.io/kubernetes and their shared dependencies compile once.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"        // etcd (its own module has replace directives: it cannot be `go install`ed)
	_ "sigs.k8s.io/cri-tools/cmd/crictl" // crictl (down.sh removes pods through the CRI), same k8s.io/cri-api release
)
