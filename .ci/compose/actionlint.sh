#!/usr/bin/env bash
# Checks the GitHub Actions workflows (.github/workflows/*.yml) with actionlint, built from source by build.sh
# (and shellcheck on every `run:` script when shellcheck is installed). Exits non-zero on any finding.
#
# Usage: .ci/compose/actionlint.sh [workflow files...]   (default: every file in .github/workflows)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

tool_ready actionlint || die "actionlint $ACTIONLINT_VERSION is not built ($(tool_dir actionlint) missing): run .ci/compose/build.sh actionlint"
actionlint=$(tool_binary actionlint)
files=("$@")
if [ ${#files[@]} -eq 0 ]; then
  shopt -s nullglob
  files=("$repo"/.github/workflows/*.yml "$repo"/.github/workflows/*.yaml)
  [ ${#files[@]} -gt 0 ] || die "no workflow in $repo/.github/workflows"
fi
checker="shellcheck $(command -v shellcheck >/dev/null 2>&1 && shellcheck --version | awk '/^version:/ { print $2 }' || echo 'not installed: run scripts not checked')"
ts "actionlint $("$actionlint" -version | head -1), $checker: ${files[*]#"$repo"/}"
(cd "$repo" && "$actionlint" -no-color "${files[@]}")
ts "no finding"
