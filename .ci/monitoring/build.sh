#!/usr/bin/env bash
# Builds Prometheus' promtool (and the Prometheus server, which the monitoring test scrapes the local cluster with)
# FROM SOURCE at a pinned version through the Go module proxy: `go install <module>/cmd/...@version`, no binary
# downloaded.
#
# Output: $MSK_MONITORING_CACHE (default /var/cache)/msk-promtool-<version>-<inputs hash>/bin/{promtool,prometheus},
# outside the repository; GOCACHE/GOMODCACHE stay Go's defaults. A build already in the cache is not repeated, so a
# second run builds nothing (and says so). Prints where the binaries are and how long the build took.
#
# Usage: build.sh            build (or reuse) and print the folder
#        build.sh --print-dir print the folder this checkout uses (built or not) and exit
# Needs Go (/usr/local/go/bin/go or $GO) and the Go module proxy.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib/go.sh
. "$here/../lib/go.sh"

# The module and version: `github.com/prometheus/prometheus` tags v0.3XX.Y for Prometheus 3.XX.Y.
PROMETHEUS_MODULE=github.com/prometheus/prometheus
PROMETHEUS_MODULE_VERSION=v0.316.0
PROMETHEUS_VERSION=3.16.0
# Bump when this script changes how the binaries are built (flags, packages).
BUILD_REV=2
# Upstream's build tag that leaves out the cloud service-discovery plugins (AWS, Azure, GCE, ...; file, HTTP and
# Kubernetes discovery stay): the tests scrape static targets, and the build takes a fraction of the time.
BUILD_TAGS=remove_all_sd
CACHE_ROOT=${MSK_MONITORING_CACHE:-/var/cache}

ts() { printf '[monitoring %4ds] %s\n' "$SECONDS" "$*"; }
die() { printf '[monitoring] error: %s\n' "$*" >&2; exit 1; }

use_go_toolchain
hash=$(inputs_hash "$PROMETHEUS_MODULE@$PROMETHEUS_MODULE_VERSION" "tags:$BUILD_TAGS" "build-v$BUILD_REV")
out="$CACHE_ROOT/msk-promtool-$PROMETHEUS_MODULE_VERSION-$hash"

if [ "${1:-}" = --print-dir ]; then echo "$out"; exit 0; fi

if [ -f "$out/.complete" ]; then
  ts "promtool and prometheus $PROMETHEUS_VERSION already built: $out (nothing to do)"
  "$out/bin/promtool" --version | head -1
  exit 0
fi

build_prometheus() { # OUT_DIR
  local work=$1 ldflags="-s -w" pair cmd started
  for pair in Version=$PROMETHEUS_VERSION Branch=HEAD Revision=$PROMETHEUS_MODULE_VERSION BuildUser=msk-ci; do
    ldflags+=" -X github.com/prometheus/common/version.$pair"
  done
  for cmd in promtool prometheus; do
    started=$SECONDS
    GOBIN="$work/bin" "$GO" install -trimpath -tags "$BUILD_TAGS" -ldflags "$ldflags" "$PROMETHEUS_MODULE/cmd/$cmd@$PROMETHEUS_MODULE_VERSION"
    echo "$cmd built in $((SECONDS - started))s"
  done
}

started=$SECONDS
ts "building promtool and prometheus $PROMETHEUS_VERSION ($PROMETHEUS_MODULE@$PROMETHEUS_MODULE_VERSION, $(go_release)) into $out"
build_into_cache prometheus "$out" build_prometheus
ts "done in $((SECONDS - started))s: $out"
"$out/bin/promtool" --version | head -1
