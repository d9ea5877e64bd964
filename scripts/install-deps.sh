#!/usr/bin/env bash
# Installs what hako needs on a Debian 12 host and builds the project. Idempotent:
# apt-get runs only for packages dpkg does not report installed, `npm ci` only when
# package-lock.json changed since the last install, then `npm run build`.
#
#   scripts/install-deps.sh [--no-build]
#
# Environment: HAKO_SKIP_APT=1 skips the package step, HAKO_SKIP_BUILD=1 the build.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD

# Host packages and why:
#   crun runc        OCI runtimes (crun default, runc selectable)
#   conmon           per-container monitor (stdio, logs, exit code)
#   iproute2         ip / ip -batch / ip netns: bridges, veths, addresses, routes
#   nftables         nft: NAT, port publishing, isolation rules
#   iptables         iptables-nft, for comparison runs with dockerd and for hosts using it
#   uidmap           newuidmap/newgidmap for user-namespace mappings
#   attr             getfattr/setfattr: overlay whiteouts and xattr checks
#   procps kmod      ps/pgrep/sysctl and modprobe (overlay, br_netfilter, veth)
#   busybox-static   the static /bin/busybox the test image is made of
#   mmdebstrap       builds the Debian image (benchmarks, opt-in tests)
#   skopeo           cross-checks our image archives; OCI-layout test images
#   docker-registry  local registry v2 on 127.0.0.1 for pull/push tests
#   curl ca-certificates  the install script's API checks over the unix socket
#   tar xz-utils     image tarballs
#   openssl          test CA and certificates for the registry TLS tests
#   zstd             zstd-compressed image layers (decompression)
#   tini             --init: its static build runs as the container's PID 1 (docker's docker-init)
#   bridge-utils     brctl show, as the articles use it to see a bridge's veths
#   docker-compose   compose 1.29 (python docker-py): test/compose.test.ts drives hakod with it unchanged
#   tmux             a real terminal for the interactive tests (run -it, attach, detach keys)
PACKAGES=(
  crun runc conmon
  iproute2 nftables iptables uidmap attr procps kmod
  busybox-static mmdebstrap skopeo docker-registry
  curl ca-certificates tar xz-utils openssl zstd
  tini bridge-utils docker-compose tmux
)

log() { printf '[install-deps] %s\n' "$*"; }

build=1
for arg in "$@"; do
  case "$arg" in
    --no-build) build=0 ;;
    *) echo "usage: $0 [--no-build]" >&2; exit 2 ;;
  esac
done
[[ "${HAKO_SKIP_BUILD:-}" == 1 ]] && build=0

# --- host packages -------------------------------------------------------------
if [[ "${HAKO_SKIP_APT:-}" != 1 ]]; then
  missing=()
  for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$p")
    fi
  done
  # The tests drive hakod with the stock docker CLI. Machines of this kind ship one in
  # /usr/local/bin; where none is on PATH, Debian's docker.io provides it (its dockerd
  # is installed but not started: see the policy-rc.d below).
  command -v docker >/dev/null || missing+=(docker.io)
  if ((${#missing[@]})); then
    if [[ $(id -u) -ne 0 ]]; then
      echo "[install-deps] missing packages: ${missing[*]}; run as root (sudo $0)" >&2
      exit 1
    fi
    log "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # A third-party source that cannot be reached must not stop us: Debian's are enough.
    if ! apt-get update -qq >/tmp/hako-apt-update.log 2>&1; then
      log "apt-get update reported errors (continuing; see /tmp/hako-apt-update.log)"
    fi
    # No package may start a service here (docker.io would start dockerd): a
    # policy-rc.d that refuses, only for this install and only if there is none.
    policy=""
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
      policy=/usr/sbin/policy-rc.d
      printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy"
    fi
    rc=0
    apt-get install -y -qq --no-install-recommends \
      -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
      "${missing[@]}" >/tmp/hako-apt-install.log 2>&1 || rc=$?
    [[ -n "$policy" ]] && rm -f "$policy"
    if ((rc)); then
      cat /tmp/hako-apt-install.log >&2
      echo "[install-deps] apt-get install failed" >&2
      exit 1
    fi
    log "packages installed"
  else
    log "host packages: all present"
  fi
fi

# --- node modules --------------------------------------------------------------
command -v node >/dev/null || { echo "[install-deps] node is not installed (need Node.js 20)" >&2; exit 1; }
node_major=$(node -p 'process.versions.node.split(".")[0]')
if ((node_major < 20)); then
  echo "[install-deps] Node.js $(node -v) is too old; need 20 or later" >&2
  exit 1
fi

stamp=node_modules/.hako-lock.sha256
want=$(cat package.json package-lock.json | sha256sum | cut -d' ' -f1)
if [[ ! -d node_modules ]] || [[ ! -f $stamp ]] || [[ "$(cat "$stamp")" != "$want" ]]; then
  log "npm ci"
  # better-sqlite3 compiles from source when no prebuilt binary can be fetched; use the
  # headers Node's package ships rather than downloading them.
  if [[ -z "${npm_config_nodedir:-}" && -f /usr/include/node/node.h ]]; then
    export npm_config_nodedir=/usr
  fi
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" >"$stamp"
else
  log "node_modules: up to date"
fi

# --- build ---------------------------------------------------------------------
if ((build)); then
  log "npm run build"
  npm run --silent build
fi
log "done"
