#!/usr/bin/env bash
# Put promtool and prometheus-redis-exporter from Debian's packages into DIR/bin (default .cache/prometheus),
# without installing the packages: installing them would start a Prometheus server and an exporter on this
# machine. The binaries are taken from the .deb files (apt-get download + dpkg-deb -x) and cached.
#   scripts/prometheus-tools.sh [DIR]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$repo/.cache/prometheus}
[ -x "$dir/bin/promtool" ] && [ -x "$dir/bin/prometheus-redis-exporter" ] && exit 0
mkdir -p "$dir/debs" "$dir/bin"
cd "$dir/debs"
if ! apt-get download prometheus prometheus-redis-exporter >/dev/null 2>&1; then
  # A fresh machine may have no package lists yet.
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  apt-get download prometheus prometheus-redis-exporter >/dev/null
fi
rm -rf "$dir/root"
for deb in prometheus_*.deb prometheus-redis-exporter_*.deb; do
  dpkg-deb -x "$deb" "$dir/root"
done
install -m 0755 "$dir/root/usr/bin/promtool" "$dir/root/usr/bin/prometheus-redis-exporter" "$dir/bin/"
rm -rf "$dir/root" "$dir/debs"
"$dir/bin/promtool" --version | head -n 1
