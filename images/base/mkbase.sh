#!/usr/bin/env bash
# Makes Haven's base image without any container registry: debootstrap a minimal
# Debian bookworm and `docker import` it. Deployments that can pull images pass
# BASE_IMAGE=debian:bookworm-slim (or their own mirror) to the notebook build instead.
#
# usage: mkbase.sh IMAGE_TAG
set -euo pipefail
tag="$1"
suite="${HAVEN_BASE_SUITE:-bookworm}"
mirror="${HAVEN_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
root="$(mktemp -d /var/tmp/haven-base.XXXXXX)"
trap 'rm -rf "$root"' EXIT

log="$(mktemp /var/tmp/haven-debootstrap.XXXXXX.log)"
if ! debootstrap --variant=minbase \
  --include=python3,python3-venv,ca-certificates,tini,git \
  "$suite" "$root" "$mirror" >"$log" 2>&1; then
  tail -40 "$log" >&2
  echo "debootstrap failed; full log: $log" >&2
  exit 1
fi
rm -f "$log"
# Trim what a notebook container never needs; smaller images start faster.
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
       "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/*
tar -C "$root" -c . | docker import \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["/bin/bash"]' \
  - "$tag" >&2
