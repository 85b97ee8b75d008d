#!/usr/bin/env bash
# The main command: the whole system on this machine, as docker compose would run it, with real daprd sidecars
# and a real Redis. Installs what is missing, builds what is out of date, then runs in the foreground until
# Ctrl-C. Arguments go to the runner: --scale email-notification-service=3, --port-offset N, --fresh (empty broker).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/setup.sh

# Rebuild the jars only when a source or POM is newer than the jar built from it.
stale=false
for jar in api-facade/target/api-facade.jar email-notification-service/target/email-notification-service.jar \
    push-notification-service/target/push-notification-service.jar local-runner/target/local-runner-exec.jar; do
  module="${jar%%/*}"
  if [[ ! -f "$jar" ]] || [[ -n "$(find "$module/src" "$module/pom.xml" libs/*/src libs/*/pom.xml pom.xml -newer "$jar" -type f -print -quit)" ]]; then
    stale=true
  fi
done
if [[ "$stale" == true ]]; then
  echo "run: building the jars" >&2
  ./mvnw --batch-mode --quiet --no-transfer-progress package -DskipTests
fi

exec java @local-runner/java.args -Dfanout.root="$root" -jar local-runner/target/local-runner-exec.jar "$@"
