#!/usr/bin/env bash
# Installs what a fresh machine lacks to run and test the system without Docker, idempotently: a second run
# takes a second or two. Debian packages (redis-server for the broker, docker-compose to validate the compose
# files statically, wrk for the benchmark), then daprd and placement of the pinned version (scripts/daprd.sh).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
command -v redis-cli >/dev/null || missing+=(redis-tools)
command -v docker-compose >/dev/null || missing+=(docker-compose)
command -v wrk >/dev/null || missing+=(wrk)
if ((${#missing[@]})); then
  sudo=""
  [[ $(id -u) == 0 ]] || sudo="sudo"
  echo "setup: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

for tool in java go; do
  command -v "$tool" >/dev/null || { echo "setup: $tool is required but not installed" >&2; exit 1; }
done

"$root/scripts/daprd.sh" >/dev/null
echo "setup: ready (daprd $("$("$root/scripts/daprd.sh")/daprd" --version), $(redis-server --version | cut -d' ' -f3))" >&2
