#!/usr/bin/env bash
# Stops the hakod of an instance and removes what it holds on the host: its containers,
# bridges, nft table, iptables chain, cgroups, the socket and the links on PATH.
# Usage: sudo ./scripts/uninstall.sh [--instance NAME] [-H unix:///PATH] [--purge]   (--purge also deletes
# the data root, /var/lib/hako by default: images, volumes, state; for the default instance
# also the `hako` user setup-host.sh made for --userns-remap, with its subuid/subgid ranges).
set -euo pipefail
instance=hako data_root=/var/lib/hako exec_root=/run/hako purge=0 sock=
while [ $# -gt 0 ]; do
  case "$1" in
    --instance) instance=$2; shift ;;
    --data-root) data_root=$2; shift ;;
    --exec-root) exec_root=$2; shift ;;
    -H|--host) sock=${2#unix://}; shift ;;
    --purge) purge=1 ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "uninstall: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
here=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
[ -n "$sock" ] || sock="$exec_root/hako.sock"
log() { printf '[uninstall] %s\n' "$*"; }

if [ -S "$sock" ] && "$here/bin/hako" -H "unix://$sock" version >/dev/null 2>&1; then
  ids=$("$here/bin/hako" -H "unix://$sock" ps -aq --no-trunc || true)
  [ -n "$ids" ] && { log "removing containers"; "$here/bin/hako" -H "unix://$sock" rm -f $ids >/dev/null || true; }
elif [ -f "$exec_root/hakod.pid" ]; then
  log "hakod does not answer on $sock (give -H): its containers are left running"
fi
if [ -f "$exec_root/hakod.pid" ]; then
  pid=$(cat "$exec_root/hakod.pid")
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping hakod (pid $pid)"
    kill -TERM "$pid"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
fi
for link in $(ip -o link show type bridge 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1); do
  case "$link" in "${instance}0"|"${instance}-"*) log "deleting bridge $link"; ip link del "$link" || true ;; esac
done
nft delete table ip "$instance" 2>/dev/null && log "deleted nft table ip $instance" || true
chain="$(echo "$instance" | tr '[:lower:]' '[:upper:]' | tr -c 'A-Z0-9_\n-' '_' | cut -c1-20)-FORWARD"
if command -v iptables >/dev/null && iptables -S "$chain" >/dev/null 2>&1; then
  while iptables -D FORWARD -j "$chain" 2>/dev/null; do :; done
  iptables -F "$chain" && iptables -X "$chain" && log "deleted iptables chain $chain"
fi
for d in /sys/fs/cgroup/*/"$instance" /sys/fs/cgroup/"$instance"; do
  [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || true
done
# the links on PATH belong to the default instance (install.sh); a test or bench instance leaves them
if [ "$instance" = hako ]; then
  for b in hako hakod; do
    t=$(readlink -f "/usr/local/bin/$b" 2>/dev/null || true)
    if [ "$t" = "$here/bin/$b" ] || [ "$t" = "$here/build/$b" ]; then rm -f "/usr/local/bin/$b" && log "removed /usr/local/bin/$b"; fi
  done
fi
grep -q " $exec_root/" /proc/mounts 2>/dev/null && awk -v r="$exec_root/" '$2 ~ "^"r {print $2}' /proc/mounts | sort -r | xargs -r -n1 umount -l || true
rm -rf "$exec_root"
[ "$purge" = 1 ] && { grep -q " $data_root/" /proc/mounts && awk -v r="$data_root/" '$2 ~ "^"r {print $2}' /proc/mounts | sort -r | xargs -r -n1 umount -l; rm -rf "$data_root"; log "deleted $data_root"; }
if [ "$purge" = 1 ] && [ "$instance" = hako ] && id -u hako >/dev/null 2>&1 && [ "$(id -u hako)" -lt 1000 ]; then
  userdel hako 2>/dev/null && log "deleted user hako (and its /etc/subuid, /etc/subgid ranges)" || true
  for f in /etc/subuid /etc/subgid; do [ -f "$f" ] && sed -i '/^hako:/d' "$f"; done
fi
log "done"
