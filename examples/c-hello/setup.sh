#!/usr/bin/env bash
# Imports a Debian 12 root filesystem with gcc as debian-gcc:bookworm into the store, for the
# c-hello example's build stage. debootstrap runs once (a few minutes, Debian's mirror); the
# tarball is cached in /var/cache/strata-examples. Usage: examples/c-hello/setup.sh [strata]
set -euo pipefail
strata=${1:-./build/strata}
cache=/var/cache/strata-examples
tarball=$cache/debian-gcc-bookworm.tar
if "$strata" inspect --type image debian-gcc:bookworm >/dev/null 2>&1; then exit 0; fi
if [ ! -s "$tarball" ]; then
  command -v debootstrap >/dev/null || apt-get install -y debootstrap
  mkdir -p "$cache"
  rootfs=$(mktemp -d "$cache/rootfs.XXXXXX")
  trap 'rm -rf "$rootfs"' EXIT
  debootstrap --variant=minbase --include=gcc,libc6-dev bookworm "$rootfs" http://deb.debian.org/debian
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar --numeric-owner -C "$rootfs" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
fi
"$strata" import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["/bin/bash"]' "$tarball" debian-gcc:bookworm
