#!/usr/bin/env bash
# Creates local stand-ins for the base images bot-bottle's Dockerfiles name, on
# machines that have a Docker engine but no registry to pull from (CI here).
# Each image is created only when missing, under the exact tag the canonical
# Dockerfiles use, so what users with a registry build is what CI builds.
#
#   debian:bookworm-slim     debootstrap --variant=minbase, then docker import
#   denoland/deno:bin-X.Y.Z  FROM scratch holding /deno, copied from the local deno
#
# Usage: scripts/base_images.sh [--deno-version X.Y.Z]
set -euo pipefail

deno_version="${BOT_BOTTLE_DENO_VERSION:-2.9.6}"
if [[ "${1:-}" == "--deno-version" ]]; then deno_version="$2"; fi

say() { printf 'base_images: %s\n' "$*" >&2; }

have_image() { docker image inspect "$1" >/dev/null 2>&1; }

apt_mirror() {
  # The mirror this machine is configured to use; never a hard-coded host.
  local src=/etc/apt/sources.list.d/debian.sources
  if [[ -f "$src" ]]; then
    awk '/^URIs:/ { print $2; exit }' "$src"
  else
    awk '/^deb / { print $2; exit }' /etc/apt/sources.list
  fi
}

make_debian() {
  local tag=debian:bookworm-slim
  if have_image "$tag"; then say "$tag present"; return; fi
  command -v debootstrap >/dev/null || {
    say "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >/dev/null
  }
  local mirror dir
  mirror="$(apt_mirror)"
  [[ -n "$mirror" ]] || { say "no apt mirror configured"; exit 1; }
  dir="$(mktemp -d)"
  trap 'rm -rf "$dir"' RETURN
  say "debootstrap bookworm from $mirror (about 30 s)"
  debootstrap --variant=minbase bookworm "$dir" "$mirror" >/dev/null
  # Match the official slim image: apt sources pointing at the same mirror.
  printf 'deb %s bookworm main\n' "$mirror" >"$dir/etc/apt/sources.list"
  rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
  tar -C "$dir" -c . | docker import \
    --change 'CMD ["bash"]' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    - "$tag" >/dev/null
  say "$tag created"
}

make_deno() {
  local tag="denoland/deno:bin-$deno_version"
  if have_image "$tag"; then say "$tag present"; return; fi
  local bin
  bin="$(readlink -f "$(command -v deno)")"
  local have
  have="$("$bin" --version | awk 'NR==1 { print $2 }')"
  if [[ "$have" != "$deno_version" ]]; then
    say "local deno is $have, the image needs $deno_version"
    exit 1
  fi
  local dir
  dir="$(mktemp -d)"
  trap 'rm -rf "$dir"' RETURN
  cp "$bin" "$dir/deno"
  printf 'FROM scratch\nCOPY deno /deno\n' >"$dir/Dockerfile"
  docker build -q -t "$tag" "$dir" >/dev/null
  say "$tag created"
}

make_debian
make_deno
