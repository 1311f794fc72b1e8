#!/usr/bin/env bash
# The store demo (`make demo`): a tiny base image from Debian's busybox-static, made with
# `strata import` into a throwaway store, then listed, inspected, retagged, saved, loaded and
# checked. Usage: examples/busybox/demo.sh [path/to/strata]
set -euo pipefail
strata=${1:-./build/strata}
work=$(mktemp -d /var/tmp/strata-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
export STRATA_ROOT="$work/root"
run() { echo "\$ strata $*"; "$strata" "$@"; echo; }

mkdir -p "$work/rootfs/bin" "$work/rootfs/etc" "$work/rootfs/tmp"
cp /bin/busybox "$work/rootfs/bin/"
for applet in $(/bin/busybox --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$work/rootfs/bin/$applet"
done
echo 'root:x:0:0:root:/root:/bin/sh' >"$work/rootfs/etc/passwd"
tar --numeric-owner -C "$work/rootfs" -cf "$work/busybox.tar" .

run import --change 'CMD ["/bin/sh"]' --change 'ENV PATH=/bin' "$work/busybox.tar" busybox:latest
run tag busybox localhost:5000/demo/busybox:1.0
run images
run history busybox
run inspect --format '{{.Id}} {{json .Config.Cmd}} {{.Config.Env}}' busybox
if "$strata" save --help >/dev/null 2>&1; then
  run save -o "$work/busybox-save.tar" busybox localhost:5000/demo/busybox:1.0
  run rmi busybox localhost:5000/demo/busybox:1.0
  run load -i "$work/busybox-save.tar"
fi
run system df
run system check
