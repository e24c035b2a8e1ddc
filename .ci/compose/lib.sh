# Shared by the Compose CI scripts and tests/containers (sourced, not run): the pinned versions of Docker Compose
# and actionlint, where their binaries are cached, and where `docker compose` finds the plugin.
# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables are used by the scripts that source this file

COMPOSE_CI_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib/go.sh
. "$COMPOSE_CI_DIR/../lib/go.sh"
# Compose's version is the one go.mod in this folder requires (build.sh builds it from that module).
COMPOSE_MODULE=github.com/docker/compose/v5
ACTIONLINT_MODULE=github.com/rhysd/actionlint
ACTIONLINT_VERSION=v1.7.12

# Binaries are built from source through the Go module proxy into folders OUTSIDE the repository, one per version
# (plus a hash of the Go release and of how we build), so a warm run builds nothing.
MSK_TOOL_CACHE=${MSK_TOOL_CACHE:-/var/cache}
# Bump when build.sh changes how a binary is built (flags, packaging).
BUILD_REV=1

# The docker CLI looks for plugins here (root: for every user of the machine; else the user's own folder).
if [ "$(id -u)" = 0 ]; then
  COMPOSE_PLUGIN_DIR=${COMPOSE_PLUGIN_DIR:-/usr/local/lib/docker/cli-plugins}
else
  COMPOSE_PLUGIN_DIR=${COMPOSE_PLUGIN_DIR:-$HOME/.docker/cli-plugins}
fi

COMPOSE_VERSION=$(awk -v m="$COMPOSE_MODULE" '($1 == m || $1 == "require" && $2 == m) { print $NF; exit }' "$COMPOSE_CI_DIR/go.mod")

ts() { printf '[compose %4ds] %s\n' "$SECONDS" "$*"; }
die() { printf '[compose] error: %s\n' "$*" >&2; exit 1; }

# tool_dir NAME -> its folder in the cache: /var/cache/msk-<name>-<version>-<hash>
tool_dir() {
  case $1 in
    compose) echo "$MSK_TOOL_CACHE/msk-compose-$COMPOSE_VERSION-$(inputs_hash "build-v$BUILD_REV" "$COMPOSE_CI_DIR/go.mod" "$COMPOSE_CI_DIR/go.sum")" ;;
    actionlint) echo "$MSK_TOOL_CACHE/msk-actionlint-$ACTIONLINT_VERSION-$(inputs_hash "build-v$BUILD_REV" "$ACTIONLINT_MODULE")" ;;
    *) die "unknown tool $1" ;;
  esac
}
tool_binary() {
  case $1 in
    compose) echo "$(tool_dir compose)/bin/docker-compose" ;;
    actionlint) echo "$(tool_dir actionlint)/bin/actionlint" ;;
  esac
}
tool_ready() { [ -f "$(tool_dir "$1")/.complete" ]; }
