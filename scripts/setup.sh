#!/usr/bin/env bash
# Installs what Skiff needs on a fresh Debian machine: Debian packages (only as root, only
# the missing ones) and the npm packages (npm ci, which also builds dist/).
# Sourced by scripts/up.sh and scripts/test.sh; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBS=(nftables iptables iproute2 conntrack etcd-server dnsutils knot dnsmasq-base dnsperf nginx-light haproxy wrk socat curl procps openssl gcc libc6-dev)
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  missing=()
  for p in "${DEBS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  fi
  # etcd-server's package starts a system etcd on :2379; Skiff's tests start their own.
  if command -v systemctl >/dev/null && systemctl is-active --quiet etcd 2>/dev/null; then systemctl stop etcd || true; fi
fi

stamp=node_modules/.skiff-installed
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund >&2
  touch "$stamp"
else
  npm run --silent build >&2
fi
