#!/usr/bin/env bash
# The benchmark (BENCHMARKS.md): the real local stack under wrk and redis-benchmark, every figure from one run.
# Stop scripts/run.sh first: the benchmark uses the same ports. Arguments go to bench/bench.py (--duration N).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/setup.sh wrk
./mvnw --batch-mode --quiet --no-transfer-progress package -DskipTests
exec python3 bench/bench.py "$@"
