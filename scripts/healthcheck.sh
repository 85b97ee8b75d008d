#!/usr/bin/env bash
# Healthy when both halves of the pair are: the app is ready and its daprd is healthy (which, for a
# subscriber, includes having loaded its components and its subscriptions from the app).
set -euo pipefail
curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:${APP_PORT}/actuator/health/readiness"
curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:${DAPR_HTTP_PORT:-3500}/v1.0/healthz"
