#!/usr/bin/env bash
# Installs every Debian 12 package that strata's build, tests, benchmarks and examples need.
# Idempotent, and quick when everything is already there: apt is only called for what is missing.
set -euo pipefail

packages=(
  # build
  build-essential cmake ninja-build pkg-config ccache
  tao-pegtl-dev libarchive-dev libssl-dev libtbb-dev nlohmann-json3-dev libcli11-dev libfmt-dev
  libcurl4-openssl-dev libzstd-dev libseccomp-dev libisal-dev zlib1g-dev
  # tests, sanitizers, fuzzing
  libgtest-dev libgmock-dev clang-14 libclang-rt-14-dev clang-tidy clang-format gzip zstd
  # a tiny base image for tests and examples; interop peers (OCI tools from Debian)
  busybox-static skopeo umoci podman runc crun uidmap docker-registry
  # benchmarks
  hyperfine pigz isal time docker.io buildah
  # examples (the C example's Debian build stage)
  debootstrap
  # registry auth tests: the token server's RS256 JWTs (/usr/bin/python3), its certificate
  python3-cryptography openssl
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
