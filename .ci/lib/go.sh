# Go builds of the CI tools, shared by .ci/compose, .ci/kubernetes and .ci/monitoring (sourced, not run): the
# toolchain, the hash that names a tool's cache folder, and the step that builds into such a folder. The script
# that sources this file defines ts and die (with its own log prefix).
# shellcheck shell=bash

GO=${GO:-/usr/local/go/bin/go}

go_release() { "$GO" env GOVERSION 2>/dev/null || echo unknown-go; }

# Fails without Go. The modules' go.mod must be satisfied by this machine's Go: never fetch another toolchain
# behind our back. Static binaries.
use_go_toolchain() {
  [ -x "$GO" ] || die "no Go toolchain at $GO (set GO=...)"
  export GOTOOLCHAIN=local CGO_ENABLED=0
}

# inputs_hash ITEM...: a short hash of the Go release and each item (a file's content, or the text itself), so a
# cache folder named with it changes when anything that shapes the binary changes.
inputs_hash() {
  { go_release; printf '%s\n' "$@"; } | {
    local line
    while IFS= read -r line; do
      if [ -f "$line" ]; then sha256sum "$line" | cut -d' ' -f1; else printf '%s\n' "$line"; fi
    done
  } | sha256sum | cut -c1-10
}

# build_into_cache NAME DIR BUILD_FUNCTION: runs `BUILD_FUNCTION TMP` in a fresh TMP (with TMP/bin) beside DIR,
# its output kept in a log that is shown (last 40 lines) only when it fails; then marks TMP complete and moves it
# to DIR, so a folder with a .complete marker always holds a whole build.
build_into_cache() {
  local name=$1 dir=$2 build=$3 tmp="$2.partial.$$"
  mkdir -p "$(dirname "$dir")"
  rm -rf "$tmp"
  mkdir -p "$tmp/bin"
  if ! "$build" "$tmp" >"$tmp.log" 2>&1; then
    tail -40 "$tmp.log" >&2
    rm -rf "$tmp"
    die "building $name failed (log: $tmp.log)"
  fi
  rm -f "$tmp.log"
  date -u +%FT%TZ >"$tmp/.complete"
  rm -rf "$dir"
  mv "$tmp" "$dir"
}
