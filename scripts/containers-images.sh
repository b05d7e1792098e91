#!/usr/bin/env bash
# Build the base images of the Molecule hosts from debootstrap (no registry is reachable here):
# Debian with systemd as PID 1 and python3. Cached: an image is rebuilt only when this recipe changes.
#   scripts/containers-images.sh [bookworm] [trixie]
set -euo pipefail
suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(bookworm)
recipe_hash=$(sha256sum "$0" | cut -c1-16)
mirror=$(sed -n 's/^URIs: *\(http[^ ]*debian\)$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)
[ -n "$mirror" ] || mirror=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
[ -n "$mirror" ] || { echo "containers-images: no Debian mirror found in apt's sources" >&2; exit 1; }
packages=systemd,systemd-sysv,dbus,python3,python3-apt,sudo,iproute2,procps,ca-certificates,iputils-ping,netcat-openbsd

for suite in "${suites[@]}"; do
  case "$suite" in
    bookworm) tag=12 ;;
    trixie) tag=13 ;;
    *) echo "containers-images: unknown suite $suite" >&2; exit 1 ;;
  esac
  image="localhost/redis-ops/debian:$tag"
  have=$(podman image inspect "$image" --format '{{ index .Labels "redis-ops.recipe" }}' 2>/dev/null || true)
  if [ "$have" = "$recipe_hash" ]; then
    echo "containers-images: $image is up to date (recipe $recipe_hash)"
    continue
  fi
  root=$(mktemp -d "/var/tmp/redis-ops-$suite.XXXXXX")
  trap 'rm -rf "$root"' EXIT
  echo "containers-images: debootstrap $suite from $mirror"
  debootstrap --variant=minbase --include="$packages" "$suite" "$root" "$mirror" >"$root.log" 2>&1 \
    || { tail -20 "$root.log"; exit 1; }
  # systemd generates a machine id at first boot; units that make no sense in a container are masked.
  : > "$root/etc/machine-id"
  for unit in getty@tty1.service console-getty.service systemd-udevd.service systemd-udev-trigger.service \
      systemd-remount-fs.service sys-kernel-debug.mount sys-kernel-tracing.mount systemd-firstboot.service \
      apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer; do
    ln -sf /dev/null "$root/etc/systemd/system/$unit"
  done
  echo "deb $mirror $suite main" > "$root/etc/apt/sources.list"
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  chroot "$root" apt-get update -qq >>"$root.log" 2>&1 || { tail -20 "$root.log"; exit 1; }
  : > "$root/etc/resolv.conf"
  # Keep the package lists debootstrap fetched: a fresh host has them, and apt caches are judged by their age.
  rm -rf "$root"/var/cache/apt/archives/*.deb
  tar -C "$root" -c . | podman import \
    --change 'CMD ["/sbin/init"]' --change 'STOPSIGNAL SIGRTMIN+3' \
    --change "LABEL redis-ops.recipe=$recipe_hash" - "$image" >/dev/null
  rm -rf "$root" "$root.log"
  trap - EXIT
  echo "containers-images: built $image (recipe $recipe_hash)"
done
