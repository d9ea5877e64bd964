#!/bin/sh
# Prepares this host for hako (idempotent; run as root).
# - Mounts every enabled cgroup v1 controller that is not yet mounted as v1, as
#   Debian's cgroupfs-mount does. On a "hybrid" host whose cgroup2 hierarchy holds a
#   controller (here: hugetlb) this moves it to v1, which empties the v2 hierarchy:
#   crun 1.8 refuses the hybrid layout otherwise.
# - Loads the overlay and br_netfilter modules when modprobe is available.
# - Enables IPv4 forwarding.
# - Makes the system user `hako` and its subordinate id ranges in /etc/subuid and
#   /etc/subgid (65536 ids, the first free block from 100000 up, as dockerd picks them
#   for `dockremap`), used by `--userns=remap` and `hakod --userns-remap default`.
set -eu

CG=/sys/fs/cgroup

mounted_v1() {
  # true when controller $1 is mounted as a cgroup v1 hierarchy somewhere
  awk -v c="$1" '$3 == "cgroup" { n = split($4, o, ","); for (i = 1; i <= n; i++) if (o[i] == c) f = 1 } END { exit f ? 0 : 1 }' /proc/mounts
}

if [ -d "$CG" ]; then
  if ! grep -q " $CG tmpfs " /proc/mounts && ! grep -q " $CG cgroup2 " /proc/mounts; then
    mount -t tmpfs -o mode=755 cgroup "$CG"
  fi
  if grep -q " $CG cgroup2 " /proc/mounts; then
    echo "setup-host: $CG is a pure cgroup v2 mount; nothing to do for cgroups"
  else
    tail -n +2 /proc/cgroups | while read -r name _hier _num enabled; do
      [ "$enabled" = 1 ] || continue
      mounted_v1 "$name" && continue
      mkdir -p "$CG/$name"
      if mount -t cgroup -o "$name" cgroup "$CG/$name" 2>/dev/null; then
        echo "setup-host: mounted cgroup v1 controller $name at $CG/$name"
      else
        rmdir "$CG/$name" 2>/dev/null || true
        echo "setup-host: could not mount cgroup v1 controller $name (left as is)" >&2
      fi
    done
  fi
fi

if command -v modprobe >/dev/null 2>&1; then
  for m in overlay br_netfilter; do modprobe "$m" 2>/dev/null || echo "setup-host: modprobe $m failed (built in or unavailable)" >&2; done
fi

if command -v sysctl >/dev/null 2>&1; then
  sysctl -q -w net.ipv4.ip_forward=1 || true
else
  echo 1 > /proc/sys/net/ipv4/ip_forward
fi

# next_range FILE: the first 65536-id block from 100000 up that overlaps no range in FILE
# (dockerd's findNextRangeStart: ranges sorted by start, skip past each one that overlaps;
# the overlap test is the exact one, as in src/engine/userns.ts).
next_range() {
  awk -F: 'NF == 3 && $2 ~ /^[0-9]+$/ && $3 ~ /^[0-9]+$/ { print $2, $3 }' "$1" | sort -n | {
    start=100000
    while read -r s l; do
      if [ "$s" -lt $((start + 65536)) ] && [ "$start" -lt $((s + l)) ]; then start=$((s + l)); fi
    done
    echo "$start"
  }
}

if command -v useradd >/dev/null 2>&1; then
  id hako >/dev/null 2>&1 || useradd -r -s /bin/false hako
  for f in subuid subgid; do
    touch "/etc/$f"
    grep -q '^hako:' "/etc/$f" && continue
    start=$(next_range "/etc/$f")
    if [ "$f" = subuid ]; then usermod -v "$start-$((start + 65535))" hako; else usermod -w "$start-$((start + 65535))" hako; fi
    echo "setup-host: added hako:$start:65536 to /etc/$f"
  done
else
  echo "setup-host: no useradd; user namespace remapping (--userns=remap) needs a hako user with /etc/subuid and /etc/subgid ranges" >&2
fi
