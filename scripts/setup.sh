#!/usr/bin/env bash
# Installs what a fresh machine lacks to run and test the system without Docker, idempotently: a second run
# takes a second or two. Debian packages (redis-server for the broker), then daprd and placement of the pinned
# version (scripts/daprd.sh). The tools only some callers use are named by them:
#   scripts/setup.sh [docker-compose] [wrk]   (the tests validate the compose files; the benchmark loads with wrk)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
command -v redis-cli >/dev/null || missing+=(redis-tools)
for tool in "$@"; do
  case "$tool" in
    docker-compose | wrk) command -v "$tool" >/dev/null || missing+=("$tool") ;;
    *) echo "setup: unknown tool '$tool' (docker-compose, wrk)" >&2; exit 2 ;;
  esac
done
if ((${#missing[@]})); then
  sudo=""
  if [[ $(id -u) != 0 ]]; then
    command -v sudo >/dev/null || {
      echo "setup: ${missing[*]} missing, and no sudo to install them; as root: apt-get install ${missing[*]}" >&2
      exit 1
    }
    sudo="sudo"
  fi
  echo "setup: installing ${missing[*]}" >&2
  # A freshly booted machine may be running its unattended upgrades: the install waits for dpkg's lock rather than
  # fail at once (the update's own lock, of the package lists, apt does not wait for).
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
    --no-install-recommends "${missing[@]}" >/dev/null
fi

# The pairs' entrypoint (scripts/entrypoint.sh) uses wait -n -p, of bash 5.1 (Debian 12, Ubuntu 22.04 and later).
if ((BASH_VERSINFO[0] < 5 || (BASH_VERSINFO[0] == 5 && BASH_VERSINFO[1] < 1))); then
  echo "setup: bash 5.1 or newer is required; this is $BASH_VERSION" >&2
  exit 1
fi
# The stream trimmer (scripts/trim-streams.lua) uses XTRIM MINID, of Redis 6.2 (Debian 12 has 7.0).
redis_version="$(redis-server --version | sed -n 's/.* v=\([0-9]*\.[0-9]*\).*/\1/p')"
if ! printf '6.2\n%s\n' "$redis_version" | sort -C -V; then
  echo "setup: Redis 6.2 or newer is required; redis-server is $redis_version" >&2
  exit 1
fi
# Go too, but only to build daprd when none of the pinned version is installed: scripts/daprd.sh checks it.
command -v java >/dev/null || { echo "setup: java is required but not installed" >&2; exit 1; }
# The apps' JAVA_OPTS (dapr.yaml) use -XX:TrimNativeHeapInterval, an option of Java 17 since 17.0.12 (experimental
# in 17.0.9-17.0.11, absent before): on an older Java every app would fail to start, over and over.
java -XX:TrimNativeHeapInterval=5000 -version >/dev/null 2>&1 || {
  echo "setup: Java 17.0.12 or newer is required (the apps run with -XX:TrimNativeHeapInterval); found:" \
    "$(java -version 2>&1 | head -1)" >&2
  exit 1
}

"$root/scripts/daprd.sh" >/dev/null
echo "setup: ready (daprd $("$("$root/scripts/daprd.sh")/daprd" --version), $(redis-server --version | cut -d' ' -f3))" >&2
