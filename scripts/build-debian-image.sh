#!/usr/bin/env bash
# Builds build/images/debian.tar: a docker-archive of debian:bookworm made with
# `mmdebstrap --variant=minbase`, from the Debian mirror this host's apt uses.
#
#   scripts/build-debian-image.sh [--out FILE] [--tag debian:bookworm] [--suite bookworm]
#
# Needs root (or mmdebstrap's unshare mode) and the mmdebstrap package. Takes minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

out=$ROOT/build/images/debian.tar
tag=debian:bookworm
suite=bookworm
while (($#)); do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --tag) tag=$2; shift 2 ;;
    --suite) suite=$2; shift 2 ;;
    *) echo "usage: $0 [--out FILE] [--tag TAG] [--suite SUITE]" >&2; exit 2 ;;
  esac
done
command -v mmdebstrap >/dev/null || { echo "mmdebstrap is not installed (scripts/install-deps.sh)" >&2; exit 1; }

# The host's Debian mirrors (deb822 .sources or one-line .list), falling back to deb.debian.org.
mirror_of() { # $1: path fragment to match, e.g. /debian or /debian-security
  { grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}'
    grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
      sed -E 's/\[[^]]*\]//' | awk '{print $2}'
  } | grep -E "$1/?\$" | head -n1 || true
}
main_mirror=$(mirror_of '/debian')
security_mirror=$(mirror_of '/debian-security')
main_mirror=${main_mirror:-http://deb.debian.org/debian}
mirrors=("deb $main_mirror $suite main" "deb $main_mirror $suite-updates main")
[[ -n "$security_mirror" ]] && mirrors+=("deb $security_mirror $suite-security main")

work=$(mktemp -d /tmp/hako-debian-image.XXXXXX)
trap 'rm -rf "$work"' EXIT
echo "[build-debian-image] mmdebstrap --variant=minbase $suite from $main_mirror" >&2
# --skip=output/dev: no device nodes in the layer (an image's /dev is the runtime's
# tmpfs; hako refuses device nodes in layers, as the image-store issue requires).
mmdebstrap --quiet --variant=minbase --format=tar --skip=output/dev \
  --aptopt='Acquire::Languages "none"' \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin' \
  "$suite" "$work/rootfs.tar" "${mirrors[@]}" </dev/null

mkdir -p "$(dirname "$out")"
node scripts/build-busybox-image.mjs --rootfs-tar "$work/rootfs.tar" --tag "$tag" --cmd bash --out "$out"
