#!/usr/bin/env bash
# Interoperability with Debian's skopeo, umoci and podman (PEERS.md): the store itself is an OCI
# layout they read, `strata save` output is a docker-archive and an oci-archive to them, and their
# archives load into strata with the same image IDs. Skips (77) only when a tool is missing.
source "$(dirname "$0")/lib.sh"

for tool in skopeo umoci podman; do
  command -v "$tool" >/dev/null || skip "$tool is not installed (scripts/install-deps.sh)"
done
id=$(import_busybox busybox:latest) || skip "cannot import busybox"
hex=${id#sha256:}
"$STRATA" save -o "$work/saved.tar" busybox:latest

# skopeo reads the store as an OCI layout, and strata's archives in both of its archive formats.
expect 0 "skopeo inspect the store" -- skopeo inspect --config oci:"$STRATA_ROOT":busybox:latest
contains '"diff_ids"' "skopeo reads the config through the store's index"
expect 0 "skopeo inspect docker-archive" -- skopeo inspect --config docker-archive:"$work/saved.tar"
contains '"architecture": "amd64"' "docker-archive config"
expect 0 "skopeo inspect oci-archive" -- skopeo inspect oci-archive:"$work/saved.tar"
expect 0 "skopeo inspect oci-archive by tag" -- skopeo inspect oci-archive:"$work/saved.tar":latest
expect 0 "skopeo copy strata archive to an OCI dir" -- \
  skopeo copy docker-archive:"$work/saved.tar" oci:"$work/ocidir":copied

# skopeo's docker-archive (legacy layout with <hex>.tar layers) and oci-archive load into strata.
expect 0 "skopeo copy store to docker-archive" -- \
  skopeo copy oci:"$STRATA_ROOT":busybox:latest docker-archive:"$work/skopeo.tar":busybox:latest
expect 0 "load skopeo's docker-archive" -- \
  env STRATA_ROOT="$work/from-skopeo" "$STRATA" load -i "$work/skopeo.tar"
contains "Loaded image: busybox:latest" "skopeo's tag kept"
expect 0 "same ID after skopeo" -- env STRATA_ROOT="$work/from-skopeo" "$STRATA" images -q --no-trunc
contains "$id" "image ID survives skopeo's docker-archive"
expect 0 "skopeo copy store to oci-archive" -- \
  skopeo copy oci:"$STRATA_ROOT":busybox:latest oci-archive:"$work/skopeo-oci.tar":busybox:latest
expect 0 "load skopeo's oci-archive" -- \
  env STRATA_ROOT="$work/from-skopeo-oci" "$STRATA" load -i "$work/skopeo-oci.tar"
contains "Loaded image: busybox:latest" "ref.name holding a whole reference names the image"

# umoci unpacks straight out of the store by its ref.name annotation (the familiar reference).
expect 0 "umoci unpack" -- umoci unpack --image "$STRATA_ROOT":busybox:latest "$work/bundle"
check "umoci rootfs has busybox" -- test -x "$work/bundle/rootfs/bin/busybox"

# podman, with private storage under $work (PEERS.md).
mkdir -p "$work/podman"
podman=(podman --root "$work/podman/storage" --runroot "$work/podman/run" --storage-driver vfs
  --cgroup-manager cgroupfs --runtime runc --events-backend file)
export TMPDIR="$work/podman"
cleanup_hooks+=("\"\${podman[@]}\" rmi -a -f >/dev/null 2>&1")
expect 0 "podman load strata's archive" -- "${podman[@]}" load -i "$work/saved.tar"
contains "busybox:latest" "podman names the image"
expect 0 "podman images" -- "${podman[@]}" images --no-trunc --format '{{.ID}}'
contains "$hex" "podman sees the same image ID"
expect 0 "podman save" -- "${podman[@]}" save -o "$work/podman.tar" busybox:latest
expect 0 "load podman's archive" -- env STRATA_ROOT="$work/from-podman" "$STRATA" load -i "$work/podman.tar"
expect 0 "same ID after podman" -- env STRATA_ROOT="$work/from-podman" "$STRATA" images -q --no-trunc
contains "$id" "image ID survives podman save"
expect 0 "podman save oci-archive" -- \
  "${podman[@]}" save --format oci-archive -o "$work/podman-oci.tar" busybox:latest
expect 0 "load podman's oci-archive" -- \
  env STRATA_ROOT="$work/from-podman-oci" "$STRATA" load -i "$work/podman-oci.tar"
expect 0 "same ID after podman oci-archive" -- \
  env STRATA_ROOT="$work/from-podman-oci" "$STRATA" images -q --no-trunc
contains "$id" "image ID survives podman's oci-archive"

finish
