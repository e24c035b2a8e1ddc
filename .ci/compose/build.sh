#!/usr/bin/env bash
# Builds Docker Compose v5 and actionlint FROM SOURCE at pinned versions through the Go module proxy (no binary is
# downloaded) and installs Compose as the docker CLI plugin, so `docker compose` is the Compose users run.
#
#   /var/cache/msk-compose-<version>-<hash>/bin/docker-compose     also linked as <plugin dir>/docker-compose
#   /var/cache/msk-actionlint-<version>-<hash>/bin/actionlint       checks .github/workflows (tests/containers)
#
# A tool already in the cache is not built again: a warm run only checks the plugin link. Prints each tool's time.
# Usage: build.sh [compose] [actionlint]   (default: both). Needs Go ($GO, default /usr/local/go/bin/go).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

use_go_toolchain

build_compose() { # OUT_DIR
  local out=$1
  # From this folder's module (go.mod/go.sum committed, never rewritten by a build), as upstream's Makefile does.
  (cd "$here" && "$GO" build -mod=readonly -buildvcs=false -trimpath \
    -ldflags "-s -w -X $COMPOSE_MODULE/internal.Version=$COMPOSE_VERSION" -o "$out/bin/docker-compose" "$COMPOSE_MODULE/cmd")
}

build_actionlint() { # OUT_DIR
  local out=$1
  # No replace or exclude directives upstream: `go install module@version` builds exactly its go.mod/go.sum.
  (cd "$out" && GOBIN="$out/bin" "$GO" install -trimpath -ldflags "-s -w" "$ACTIONLINT_MODULE/cmd/actionlint@$ACTIONLINT_VERSION")
}

tool() { # NAME
  local name=$1 dir started=$SECONDS
  dir=$(tool_dir "$name")
  if tool_ready "$name"; then ts "$name: cached in $dir"; return; fi
  ts "$name: building into $dir (Go $(go_release))"
  build_into_cache "$name" "$dir" "build_$name"
  ts "$name: built in $((SECONDS - started)) s ($(du -sh "$dir" | cut -f1))"
}

# `docker compose` runs the plugin; an existing link to an older build is replaced, any other file is left alone.
install_plugin() {
  local binary link
  binary=$(tool_binary compose)
  link="$COMPOSE_PLUGIN_DIR/docker-compose"
  mkdir -p "$COMPOSE_PLUGIN_DIR"
  if [ -e "$link" ] && [ ! -L "$link" ]; then
    die "$link exists and is not our link: remove it (or set COMPOSE_PLUGIN_DIR) so docker compose runs Compose $COMPOSE_VERSION"
  fi
  ln -sfn "$binary" "$link"
  local reported
  reported=$(docker compose version --short 2>&1) || die "docker compose does not run the plugin $link: $reported"
  [ "v${reported#v}" = "$COMPOSE_VERSION" ] || die "docker compose reports $reported, expected $COMPOSE_VERSION (another plugin earlier on the docker CLI's path?)"
  ts "docker compose -> $link -> $binary ($reported)"
}

wanted=("$@")
[ ${#wanted[@]} -gt 0 ] || wanted=(compose actionlint)
for name in "${wanted[@]}"; do
  tool "$name"
  if [ "$name" = compose ]; then install_plugin; fi
done
