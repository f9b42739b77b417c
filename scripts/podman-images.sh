#!/bin/bash
# Builds, only when missing from podman's store, the images a rendered bundle needs without a
# registry: a Debian 12 base made by debootstrap from the mirror apt uses, and on it stand-ins for
# the official postgres:15, redis:7 and python:3.11-slim images (Debian's packages, an entrypoint
# of our own that keeps the official init contract). Each is tagged twice: localhost/ovu-<name>
# and the official name the topology and examples/Dockerfile use, so no pull is ever attempted.
# OVU_REBUILD_IMAGES=1 rebuilds them all.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/podman-env.sh"

have() { [ "${OVU_REBUILD_IMAGES:-}" != 1 ] && podman image exists "$1"; }
mirror() {
    # The Debian mirror apt is configured for (deb822 or one-line sources).
    local m
    m=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -1 || true)
    [ -n "$m" ] || m=$(grep -hE '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | grep -v security | head -1 || true)
    [ -n "$m" ] || { echo "podman-images: no Debian mirror in /etc/apt/sources.list*" >&2; exit 1; }
    echo "$m"
}

base=localhost/ovu-debian:bookworm
if ! have "$base"; then
    command -v debootstrap >/dev/null || { echo "podman-images: debootstrap is missing (make deps)" >&2; exit 1; }
    root=$(mktemp -d /var/tmp/ovu-debootstrap.XXXXXX)
    trap 'rm -rf "$root"' EXIT
    m=$(mirror)
    echo "podman-images: debootstrap bookworm from $m"
    debootstrap --variant=minbase bookworm "$root" "$m" > "$root.log" 2>&1 || { tail -20 "$root.log" >&2; exit 1; }
    rm -f "$root.log"
    # The sources the images' apt-get uses: the same mirror, main only.
    echo "deb $m bookworm main" > "$root/etc/apt/sources.list"
    rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/archives/*.deb
    tar -C "$root" -c . | podman import --change 'CMD ["bash"]' - "$base" >/dev/null
    rm -rf "$root"; trap - EXIT
fi

build() { # name official-tag folder
    if have "localhost/ovu-$1" && podman image exists "$2"; then return; fi
    echo "podman-images: build $2 (localhost/ovu-$1)"
    podman build --network host -q -t "localhost/ovu-$1" -t "$2" "$here/images/$3" >/dev/null
}
build postgres:15 docker.io/library/postgres:15 postgres
build redis:7 docker.io/library/redis:7 redis
build python:3.11-slim docker.io/library/python:3.11-slim python
