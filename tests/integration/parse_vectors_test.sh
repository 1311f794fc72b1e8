#!/usr/bin/env bash
# BuildKit's parser vectors through the real binary: `strata parse` must print every `result`
# byte for byte and exit 1 on every negative case.
set -u
: "${STRATA:?path to the strata binary}" "${STRATA_SHARED_DIR:?path to shared/}"
dir="$STRATA_SHARED_DIR/conformance/buildkit/parser"
[ -d "$dir" ] || { echo "no conformance vectors at $dir"; exit 1; }
passed=0 failed=0
for case in "$dir"/testfiles/*/; do
  if "$STRATA" parse -f "$case/Dockerfile" | cmp -s - "$case/result"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1)); echo "FAIL $(basename "$case")"
  fi
done
for case in "$dir"/testfiles-negative/*/; do
  "$STRATA" parse -f "$case/Dockerfile" >/dev/null 2>&1
  if [ $? -eq 1 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL negative $(basename "$case")"; fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
