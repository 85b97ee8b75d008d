#!/bin/sh
# Keeps the broker's streams to what some subscriber still needs: every TRIM_INTERVAL_SECONDS (10), each stream
# loses the entries all its consumer groups have acknowledged (scripts/trim-streams.lua, atomic in Redis).
#
# Why not the pub/sub component's maxLenApprox: Redis trims by length whatever the groups have read, so a
# subscriber down or behind by more than the limit lost the oldest events it had not read, silently (its daprd
# acknowledges a pending entry it finds gone). Here nothing unread is ever trimmed; the stream grows with the
# backlog of the slowest subscriber instead, which is what Redis must be sized for.
#
# The dead-letter streams are the only copy of a dropped event, kept for replay: their entries go only once their
# subscriber has acknowledged them and they are TRIM_DEAD_LETTER_KEEP_SECONDS old (7 days, as the subscribers keep
# a dead-lettered event's record: fanout.subscription.dead-letter-ttl).
#
#   REDIS_HOST            host:port of Redis (REDIS_PASSWORD, if set, is used); Redis 6.2 or newer
#   TRIM_GROUPS           the subscribers' app-ids, comma-separated (their consumer groups): the topic's stream is
#                         trimmed once all of them have subscribed (one not yet subscribed still has every entry
#                         to read), and each one's dead-letter stream, TOPIC-dead-letter-APP_ID, once it has.
#                         Any other group on a stream holds entries back too, with a warning.
#   TRIM_TOPIC            the topic (followerAdded)
#   --once                one pass, then exit, non-zero if a stream could not be trimmed (tests, the benchmark)
#
# POSIX sh and redis-cli only: compose runs it in the Redis image, the local runner beside its Redis.
set -u
: "${REDIS_HOST:?REDIS_HOST (host:port) is required}"
: "${TRIM_GROUPS:?TRIM_GROUPS (the app-ids of the subscribers, comma-separated) is required}"
topic="${TRIM_TOPIC:-followerAdded}"
interval="${TRIM_INTERVAL_SECONDS:-10}"
dead_letters_kept_ms="$((${TRIM_DEAD_LETTER_KEEP_SECONDS:-604800} * 1000))"
host="${REDIS_HOST%:*}"
port="${REDIS_HOST##*:}"
script="$(dirname "$0")/trim-streams.lua"
[ -n "${REDIS_PASSWORD:-}" ] && export REDISCLI_AUTH="$REDIS_PASSWORD"
sleeper=
trap '[ -n "$sleeper" ] && kill "$sleeper" 2>/dev/null; exit 0' TERM INT

groups="$(echo "$TRIM_GROUPS" | tr ',' ' ')"
failed=0
warned=

trim() { # stream, how long to keep acknowledged entries (ms), then the groups it waits for
  stream="$1"
  shift
  answer="$(redis-cli -h "$host" -p "$port" --eval "$script" "$stream" , "$@" 2>&1)"
  trimmed="$(printf '%s\n' "$answer" | sed -n 1p)"
  others="$(printf '%s\n' "$answer" | sed -n 2p)"
  case "$trimmed" in
    *[!0-9]* | '')
      echo "trim-streams: $stream not trimmed: $answer" >&2
      failed=1
      return
      ;;
    0) ;;
    *) echo "trim-streams: $stream: $trimmed entries every subscriber had acknowledged trimmed" ;;
  esac
  # Said once per stream and set of groups: a group left behind (a removed service, one made by hand) keeps
  # everything it has not acknowledged, and the stream grows until it is deleted.
  if [ -n "$others" ]; then
    case "$warned" in
      *"|$stream=$others|"*) ;;
      *)
        echo "trim-streams: $stream: groups $others are not subscribers ($TRIM_GROUPS), and hold back what they" \
          "have not acknowledged; delete them (XGROUP DESTROY) if no service reads for them" >&2
        warned="$warned|$stream=$others|"
        ;;
    esac
  fi
}

while :; do
  # shellcheck disable=SC2086 # one argument per group
  trim "$topic" 0 $groups
  for group in $groups; do
    trim "$topic-dead-letter-$group" "$dead_letters_kept_ms" "$group"
  done
  [ "${1:-}" = --once ] && exit "$failed"
  sleep "$interval" &
  sleeper=$!
  wait "$sleeper"
done
