#!/usr/bin/env bash
# The test command (README; .ci/run calls it). Installs what a fresh machine lacks, checks the compose files and
# the Dockerfile statically, then runs every test: unit and slice tests (Surefire), and the end-to-end tests
# against real daprd sidecars and a real Redis (Failsafe, *IT). Extra arguments go to Maven.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh" docker-compose
"$root/scripts/check-compose.sh"
cd "$root"
exec ./mvnw --batch-mode --no-transfer-progress verify "$@"
