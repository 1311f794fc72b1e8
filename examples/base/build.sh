#!/usr/bin/env bash
# Builds strata's base image (examples/base/Dockerfile) as TAG (default strata-base:latest):
# the context is this directory plus Debian's static busybox.
# Usage: examples/base/build.sh [path/to/strata] [TAG]
set -euo pipefail
strata=${1:-./build/strata}
tag=${2:-strata-base:latest}
[ -x /bin/busybox ] || { echo "busybox-static is not installed (scripts/install-deps.sh)" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
context=$(mktemp -d /var/tmp/strata-base.XXXXXX)
trap 'rm -rf "$context"' EXIT
cp "$here/Dockerfile" /bin/busybox "$context/"
"$strata" build -q -t "$tag" "$context"
