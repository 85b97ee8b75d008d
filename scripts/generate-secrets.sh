#!/usr/bin/env bash
# Writes the secrets docker compose reads, 256 random bits each: secrets/<service>.env, a DAPR_API_TOKEN (the app ->
# its daprd) and an APP_API_TOKEN (its daprd -> the app) per service; secrets/redis.env, the REDIS_PASSWORD that
# Redis requires of the sidecars and the trimmer (without one, any container on the compose network could add a
# forged followerAdded to the stream, past the sidecars' scoping and tokens). Keeps existing files unless --force;
# an older secrets/ gains the files it lacks. secrets/ is git-ignored: they never go into the repository. (The
# local runner makes its own tokens per run; its Redis takes REDIS_PASSWORD from the shell.)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mkdir -p "$root/secrets"
chmod 700 "$root/secrets"
umask 077
random() { od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; }
write() { # file, then its lines
  local file="$root/secrets/$1"
  shift
  if [[ -f "$file" && "${force:-}" != --force ]]; then
    return
  fi
  printf '%s\n' "$@" > "$file"
  echo "generate-secrets: wrote $file" >&2
}
force="${1:-}"
for service in api-facade email-notification-service push-notification-service; do
  write "$service.env" "DAPR_API_TOKEN=$(random)" "APP_API_TOKEN=$(random)"
done
write redis.env "REDIS_PASSWORD=$(random)"
