// Command coredns is CoreDNS (github.com/coredns/coredns, pinned in go.mod) with only the plugins the CI
// cluster's DNS uses: the upstream main (coredns.go) imports every plugin, which would compile cloud SDKs
// (AWS, Azure, GCP) for nothing. Same coremain, same plugin code; the Corefile is written by up.sh.
// There is deliberately no `forward` plugin: the cluster's DNS never sends a query off this machine.
package main

import (
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/reload"

	_ "github.com/coredns/coredns/core/dnsserver" // the server type and the directive order
	"github.com/coredns/coredns/coremain"
)

func main() {
	coremain.Run()
}
