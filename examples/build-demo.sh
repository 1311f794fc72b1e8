#!/usr/bin/env bash
# The build demo (`make demo`): strata builds its own busybox base image from scratch, then the
# examples on top of it, and runs them — in a throwaway store. With STRATA_DEMO_C=1 it also
# builds the multi-stage C example (its Debian build stage is debootstrapped once and cached).
# Usage: examples/build-demo.sh [path/to/strata]
set -euo pipefail
strata=$(realpath "${1:-./build/strata}")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /var/tmp/strata-build-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
export STRATA_ROOT="$work/root"
step() { echo; echo "\$ $*"; "$@"; }

step "$here/base/build.sh" "$strata" strata-base:latest
step "$strata" build --progress=plain --build-arg BASE=strata-base:latest -t hello "$here/hello"
step "$strata" run --rm hello strata
step "$strata" build -q --build-arg BASE=strata-base:latest -t hello "$here/hello"   # all cached
step "$strata" build --progress=plain -t heredocs "$here/heredocs"
step "$strata" run --rm heredocs
step "$strata" build --progress=plain -t cache-mounts "$here/cache-mounts"
step "$strata" history hello
step "$strata" images
if [ "${STRATA_DEMO_C:-0}" = 1 ]; then
  step "$here/c-hello/setup.sh" "$strata"
  step "$strata" build --progress=plain -t c-hello "$here/c-hello"
  step "$strata" run --rm c-hello from the demo
fi
