#!/usr/bin/env bash
# Healthy when both halves of the pair are: the app is ready and its daprd is healthy (which, for a
# subscriber, includes having loaded its components and its subscriptions from the app).
set -euo pipefail
# The actuator is on the app's port unless given one of its own (the facade's, whose app port is published).
curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:${MANAGEMENT_SERVER_PORT:-$APP_PORT}/actuator/health/readiness"
curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:${DAPR_HTTP_PORT:-3500}/v1.0/healthz"
