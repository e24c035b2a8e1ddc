# Step timings, shared by .ci/containers and .ci/kubernetes (sourced, not run). The script that sources this file
# defines ts and sets MSK_TIMINGS_LABEL (its log prefix) and MSK_TIMINGS_WIDTH (the step-name column).
# shellcheck shell=bash

declare -a MSK_TIMINGS=()
# step NAME COMMAND...: runs one step and records how long it took.
step() {
  local name=$1 started=$SECONDS
  shift
  ts "$name"
  "$@"
  MSK_TIMINGS+=("$(printf "%-${MSK_TIMINGS_WIDTH}s %4ds" "$name" $((SECONDS - started)))")
}
print_timings() {
  echo "[$MSK_TIMINGS_LABEL] step timings:"
  local line
  for line in "${MSK_TIMINGS[@]}"; do echo "  $line"; done
  echo "  $(printf "%-${MSK_TIMINGS_WIDTH}s %4ds" total "$SECONDS")"
}
