#!/usr/bin/env bash
# Runs one service as a pair: its own daprd sidecar and its Spring Boot app. It is the container's entrypoint
# (Dockerfile) and, unchanged, how the local runner starts each service outside Docker.
#
#   SIGTERM/SIGINT  stop both gracefully, in STOP_ORDER, then exit 0
#   either one dies the other is killed at once and the pair exits non-zero, so that a supervisor (compose's
#                   restart policy, the local runner) restarts it
#
# STOP_ORDER decides who stops first, because each role needs the other during its own shutdown:
#   sidecar-first  (subscribers) daprd stops reading the broker and finishes its deliveries while the app is
#                  still there to answer them; then the app stops. App first would turn every delivery in that
#                  window into a failed one. daprd keeps its API up for DAPR_BLOCK_SHUTDOWN_SECONDS after the
#                  subscriptions stop (--dapr-block-shutdown-duration): a delivery daprd gave up on as it stopped
#                  may still be in the app, whose effects are recorded as done through that API. Without the wait
#                  daprd closed its API at once, the record was refused, and the event's redelivery to another
#                  replica repeated the effect.
#   app-first      (publishers) the app stops taking requests and finishes its publishes through a live daprd;
#                  then daprd stops.
set -uo pipefail
# wait -n -p (below) came with bash 5.1: an older bash would take every pair for one whose process had died.
if ((BASH_VERSINFO[0] < 5 || (BASH_VERSINFO[0] == 5 && BASH_VERSINFO[1] < 1))); then
  echo "entrypoint: bash 5.1 or newer is required; this is $BASH_VERSION" >&2
  exit 2
fi

: "${APP_ID:?APP_ID is required (the Dapr app-id)}"
: "${APP_PORT:?APP_PORT is required}"
APP_JAR="${APP_JAR:-/app/app.jar}"
DAPRD="${DAPRD:-daprd}"
export DAPR_HTTP_PORT="${DAPR_HTTP_PORT:-3500}"
export DAPR_GRPC_PORT="${DAPR_GRPC_PORT:-50001}"
DAPR_INTERNAL_GRPC_PORT="${DAPR_INTERNAL_GRPC_PORT:-50002}"
DAPR_METRICS_PORT="${DAPR_METRICS_PORT:-9090}"
DAPR_RESOURCES_PATH="${DAPR_RESOURCES_PATH:-/app/components}"
DAPR_CONFIG="${DAPR_CONFIG:-/app/config/daprd.yaml}"
DAPR_LISTEN_ADDRESSES="${DAPR_LISTEN_ADDRESSES:-127.0.0.1}"
# daprd's defaults are every interface for these two: the internal API (sidecar to sidecar: service invocation and
# actors, which nothing here uses) takes no API token, and its calls reach the app with the app's token added; the
# metrics would tell anyone on the network about the traffic. Loopback, as the app's actuator is.
DAPR_INTERNAL_GRPC_LISTEN_ADDRESS="${DAPR_INTERNAL_GRPC_LISTEN_ADDRESS:-127.0.0.1}"
DAPR_METRICS_LISTEN_ADDRESS="${DAPR_METRICS_LISTEN_ADDRESS:-127.0.0.1}"
DAPR_LOG_LEVEL="${DAPR_LOG_LEVEL:-info}"
DAPR_GRACEFUL_SHUTDOWN_SECONDS="${DAPR_GRACEFUL_SHUTDOWN_SECONDS:-10}"
# Empty: daprd opens no channel to the app (the facade subscribes to nothing, so nothing to ask it).
DAPR_APP_PORT="${DAPR_APP_PORT-$APP_PORT}"
STOP_ORDER="${STOP_ORDER:-app-first}"
# Longer than a batch takes to handle and record (milliseconds; seconds only while the state store recovers).
DAPR_BLOCK_SHUTDOWN_SECONDS="${DAPR_BLOCK_SHUTDOWN_SECONDS:-3}"
# daprd's share must cover the block plus its own graceful shutdown.
STOP_TIMEOUT_SECONDS="${STOP_TIMEOUT_SECONDS:-20}"
export APP_PORT

log() { echo "entrypoint[$APP_ID]: $*" >&2; }

case "$STOP_ORDER" in
  app-first | sidecar-first) ;;
  *) log "STOP_ORDER must be app-first or sidecar-first, not '$STOP_ORDER'"; exit 2 ;;
esac
# Whole seconds, checked here: "30s" would make every later $((...)) on it fail, and the stop never kill.
for setting in STOP_TIMEOUT_SECONDS DAPR_BLOCK_SHUTDOWN_SECONDS DAPR_GRACEFUL_SHUTDOWN_SECONDS; do
  [[ "${!setting}" =~ ^[0-9]+$ ]] || { log "$setting must be a whole number of seconds, not '${!setting}'"; exit 2; }
done
[[ -f "$APP_JAR" ]] || { log "no app jar at $APP_JAR"; exit 2; }
command -v "$DAPRD" >/dev/null || { log "no daprd at '$DAPRD'"; exit 2; }

daprd_args=(
  --app-id "$APP_ID"
  --dapr-http-port "$DAPR_HTTP_PORT"
  --dapr-grpc-port "$DAPR_GRPC_PORT"
  --dapr-internal-grpc-port "$DAPR_INTERNAL_GRPC_PORT"
  --dapr-internal-grpc-listen-address "$DAPR_INTERNAL_GRPC_LISTEN_ADDRESS"
  --metrics-port "$DAPR_METRICS_PORT"
  --metrics-listen-address "$DAPR_METRICS_LISTEN_ADDRESS"
  --dapr-listen-addresses "$DAPR_LISTEN_ADDRESSES"
  --resources-path "$DAPR_RESOURCES_PATH"
  --config "$DAPR_CONFIG"
  --log-level "$DAPR_LOG_LEVEL"
  --dapr-graceful-shutdown-seconds "$DAPR_GRACEFUL_SHUTDOWN_SECONDS"
)
if [[ -n "$DAPR_APP_PORT" ]]; then
  daprd_args+=(--app-port "$DAPR_APP_PORT" --app-protocol http --app-channel-address 127.0.0.1)
fi
if [[ "$STOP_ORDER" == sidecar-first ]]; then
  daprd_args+=(--dapr-block-shutdown-duration "${DAPR_BLOCK_SHUTDOWN_SECONDS}s")
fi
if [[ -n "${DAPR_PLACEMENT_ADDRESS:-}" ]]; then
  daprd_args+=(--placement-host-address "$DAPR_PLACEMENT_ADDRESS")
fi
if [[ "${DAPR_API_LOGGING:-false}" == true ]]; then
  daprd_args+=(--enable-api-logging)
fi

# A stop asked for while the two start is kept, and carried out once both have started (below): without a trap,
# it would end this shell and leave them running, orphans holding their ports.
pending_signal=
trap 'pending_signal=SIGTERM' TERM
trap 'pending_signal=SIGINT' INT
"$DAPRD" "${daprd_args[@]}" &
daprd_pid=$!
# shellcheck disable=SC2086 # JAVA_OPTS is a list of options, split on spaces and never globbed (-Xlog:gc*)
set -f; java ${JAVA_OPTS:-} -jar "$APP_JAR" & set +f
app_pid=$!
# Once whoever reads our output is gone (a local runner killed outright, which then has us stopped), a line
# written must not kill this shell before it has stopped the pair. Set after the two started: theirs is default.
trap '' PIPE
log "started daprd (pid $daprd_pid) and app (pid $app_pid)"

# Microseconds since the epoch (bash 5's EPOCHREALTIME, whose decimal point follows the locale).
now_us() { echo "${EPOCHREALTIME//[!0-9]/}"; }

# Stops one process: SIGTERM, then SIGKILL if it is still there STOP_TIMEOUT_SECONDS later, by the clock: a count
# of 0.1 s sleeps would run over by the time each pass takes on a busy machine.
stop_process() { # name pid
  local name=$1 pid=$2 deadline
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null
  deadline=$(($(now_us) + STOP_TIMEOUT_SECONDS * 1000000))
  while kill -0 "$pid" 2>/dev/null; do
    if (($(now_us) >= deadline)); then
      log "$name did not stop within ${STOP_TIMEOUT_SECONDS}s; killing it"
      kill -KILL "$pid" 2>/dev/null
      break
    fi
    sleep 0.1
  done
  wait "$pid" 2>/dev/null
}

stop_pair() {
  if [[ "$STOP_ORDER" == sidecar-first ]]; then
    stop_process daprd "$daprd_pid"; stop_process app "$app_pid"
  else
    stop_process app "$app_pid"; stop_process daprd "$daprd_pid"
  fi
}

on_signal() {
  trap '' TERM INT
  # One of them gone already (the signal came as it died): that is a crash, to be reported and handled as one.
  if ! kill -0 "$daprd_pid" 2>/dev/null || ! kill -0 "$app_pid" 2>/dev/null; then
    log "received $1 after one of the pair had exited; killing the other so that its in-flight events stay pending"
    kill -KILL "$daprd_pid" "$app_pid" 2>/dev/null
    wait "$daprd_pid" "$app_pid" 2>/dev/null
    exit 1
  fi
  log "received $1; stopping ($STOP_ORDER)"
  stop_pair
  log "stopped"
  exit 0
}
trap 'on_signal SIGTERM' TERM
trap 'on_signal SIGINT' INT
[[ -z "$pending_signal" ]] || on_signal "$pending_signal"

# Whichever exits first, unasked, takes the other down at once, as a container would go. Not gracefully: a
# graceful daprd would retry its in-flight deliveries against the dead app and then dead-letter them; a graceful
# app would finish effects it can no longer record as done (the state API is its daprd), so their redelivery
# would repeat them. Killed, the pair acknowledges and records nothing more: its events stay pending in the
# broker and another replica (or this one, restarted) takes them after processingTimeout.
wait -n -p exited "$daprd_pid" "$app_pid"
status=$?
trap '' TERM INT
if [[ "${exited:-}" == "$daprd_pid" ]]; then name=daprd other=app other_pid=$app_pid; else name=app other=daprd other_pid=$daprd_pid; fi
log "$name exited unexpectedly with status $status; killing $other so that its in-flight events stay pending"
kill -KILL "$other_pid" 2>/dev/null
wait "$other_pid" 2>/dev/null
exit $((status == 0 ? 1 : status))
