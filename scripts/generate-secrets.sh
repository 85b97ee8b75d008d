#!/usr/bin/env bash
# Writes secrets/<service>.env for docker compose: a fresh DAPR_API_TOKEN (the app -> its daprd) and
# APP_API_TOKEN (its daprd -> the app) per service, 256 random bits each. Keeps existing files unless --force.
# secrets/ is git-ignored: tokens never go into the repository. (The local runner makes its own per run.)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mkdir -p "$root/secrets"
chmod 700 "$root/secrets"
for service in api-facade email-notification-service push-notification-service; do
  file="$root/secrets/$service.env"
  if [[ -f "$file" && "${1:-}" != --force ]]; then
    continue
  fi
  umask 077
  printf 'DAPR_API_TOKEN=%s\nAPP_API_TOKEN=%s\n' "$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')" \
    "$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')" > "$file"
  echo "generate-secrets: wrote $file" >&2
done
