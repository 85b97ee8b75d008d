#!/usr/bin/env bash
# These machines have no Docker engine, so the compose files and the Dockerfile are checked statically:
# both compose files must be valid (docker-compose config, with .env interpolated), and every image they or the
# Dockerfile name must be pinned to an exact version (x.y.z) or a digest: no 'latest', no bare name, no '7-alpine'.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

pinned='(:v?[0-9]+\.[0-9]+\.[0-9]+[^ ]*|@sha256:[0-9a-f]{64})$'
failures=0
check_image() { # where image
  if [[ ! "$2" =~ $pinned ]]; then
    echo "check-compose: $1: image '$2' is not pinned to an exact version" >&2
    failures=$((failures + 1))
  fi
}

# The compose file reads the per-service tokens from secrets/ (git-ignored); make some if there are none.
scripts/generate-secrets.sh

for file in docker-compose.yml docker-compose-setup.yml; do
  rendered="$(docker-compose -f "$file" config)" || { echo "check-compose: $file is invalid" >&2; exit 1; }
  echo "check-compose: $file is valid" >&2
  while read -r image; do
    check_image "$file" "$image"
  done < <(sed -n 's/^ *image: *//p' <<<"$rendered" | tr -d "'\"")
done

# Dockerfile: FROM lines, with the ARGs that .env pins substituted.
set -a; source .env; set +a
while read -r image; do
  check_image Dockerfile "$(eval "echo \"$image\"")"
done < <(sed -n 's/^FROM \([^ ]*\).*/\1/p' Dockerfile)

# The images start the apps with the Dockerfile's JAVA_OPTS, the local stack (and the benchmark) with dapr.yaml's:
# one set of JVM options, written twice, so that a change to one must reach the other.
java_opts() { sed -n 's/^ *JAVA_OPTS[=:] *"\([^"]*\)".*/\1/p' "$1"; }
if [[ -z "$(java_opts Dockerfile)" || "$(java_opts Dockerfile)" != "$(java_opts dapr.yaml)" ]]; then
  echo "check-compose: JAVA_OPTS differ: Dockerfile '$(java_opts Dockerfile)', dapr.yaml '$(java_opts dapr.yaml)'" >&2
  failures=$((failures + 1))
fi

if ((failures)); then
  exit 1
fi
echo "check-compose: every image is pinned; the Dockerfile and dapr.yaml agree on JAVA_OPTS" >&2
