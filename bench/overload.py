#!/usr/bin/env python3
"""The facade under more concurrent follows than it can publish within their timeout: wrk with --connections
(thousands) at saturation on the facade for --seconds, the whole stack running. wrk ignores Retry-After: each
connection sends its next request as soon as it has an answer, a 503 included, the worst case of a client.

Per round, one JSON line: 202s and 503s per second, wrk's latency (over every answer, whatever its status), the
facade JVM's peak RSS and CPU, the machine's CPU, whether the facade's JVM that started the round died in it (an
OutOfMemoryError ends it, and the runner starts another) and, once drained, how many events each subscriber
handled and how many of the round's stream entries had no effect there, by event id (lost): every 202 must be
among the stored events, and a 503 may be too (it means not confirmed, not absent), so no count of 202s stands in.

Run it for two values of --max-queued, stack after stack, to see what the facade's cap on the events waiting for
a bulk call does (fanout.followers.max-queued, 1000 by default since round 24, 5000 before): beyond it a follow is
answered 503 at once rather than after waiting out its timeout (BENCHMARKS.md, round 24). --max-connections sets
the facade's fanout.server.max-connections (500 by default since round 25): beyond it the facade accepts no more
connections until one closes, and while full it closes each connection after its answer, so that wrk's
connections take turns (BENCHMARKS.md, round 25).

Usage: python3 bench/overload.py [--root CHECKOUT] [--label NAME] [--warmup S] [--rounds N] [--seconds S]
                                 [--connections N] [--max-queued N] [--max-connections N]
"""
import json
import os
import re

import bench

WATCHED = ("api-facade (JVM)", "api-facade (daprd)")


def socket_errors(wrk_output):
    """wrk's own count of each kind: connections it could not open, reads and writes that failed, and requests
    unanswered after its --timeout (10 s)."""
    found = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", wrk_output)
    kinds = ("connect", "read", "write", "timeout")
    return dict(zip(kinds, map(int, found.groups()))) if found else dict.fromkeys(kinds, 0)


def main():
    parser = bench.harness_arguments(rounds=3)
    parser.add_argument("--seconds", type=int, default=20, help="length of each measured round")
    parser.add_argument("--connections", type=int, default=8000, help="wrk's connections, each a request at a time")
    parser.add_argument("--max-queued", type=int, default=None,
                        help="the facade's fanout.followers.max-queued (default: its own)")
    parser.add_argument("--max-connections", type=int, default=None,
                        help="the facade's fanout.server.max-connections (default: its own)")
    args = parser.parse_args()
    bench.ROOT = args.root.resolve()
    if args.max_queued is not None:
        os.environ["FANOUT_FOLLOWERS_MAXQUEUED"] = str(args.max_queued)  # the runner passes its environment on
    if args.max_connections is not None:
        os.environ["FANOUT_SERVER_MAXCONNECTIONS"] = str(args.max_connections)

    with bench.warm_stack(None, args.warmup) as (stack, pids):
        for number in range(1, args.rounds + 1):
            bench.reset_latency()
            mark, newest = stack.mark(), bench.last_stream_id()
            sampler = bench.Sampler({name: pids[name] for name in WATCHED})
            busy = bench.machine_busy()
            run = bench.wrk(bench.FACADE, args.seconds, connections=args.connections)
            # Read before the sampler's last reading, which needs the process: a JVM gone would fail it instead.
            if not os.path.exists(f"/proc/{pids['api-facade (JVM)']}"):
                print(json.dumps({"label": args.label, "round": number, "facade_jvm_died": True,
                                  "accepted": run["ok"], "statuses": run["statuses"]}), flush=True)
                raise SystemExit("overload: the facade's JVM died in the round (the runner restarts it; its pids "
                                 "are not this round's any more)")
            resources = sampler.stop()
            machine = bench.machine_cpu_pct(busy)
            drain_s = bench.wait_drained(600)
            if drain_s is None:
                raise SystemExit("overload: the subscribers did not drain within 600 s")
            handled = {app: bench.fanout_latency(app)["count"] for app in bench.SUBSCRIBERS}
            stored = list(bench.stream_entries(newest))
            done = bench.effects(stack, mark, stored)
            seconds = run["ok"] / run["rps"] if run["rps"] else args.seconds
            print(json.dumps({
                "label": args.label, "round": number, "connections": args.connections,
                "max_queued": args.max_queued or "the facade's default",
                "max_connections": args.max_connections or "the facade's default", "accepted_per_s": round(run["rps"]),
                "statuses_per_s": {status: round(count / seconds) for status, count in sorted(run["statuses"].items())},
                "socket_errors": run["errors"] - sum(c for s, c in run["statuses"].items() if not s.startswith("2")),
                "socket_errors_by_kind": socket_errors(run["raw"]),
                "p50_ms": run["p50_ms"], "p99_ms": run["p99_ms"],
                "facade_jvm": {"cpu_pct": round(resources["api-facade (JVM)"]["cpu_pct"]),
                               "peak_rss_mib": round(resources["api-facade (JVM)"]["rss_mib"])},
                "facade_daprd_cpu_pct": round(resources["api-facade (daprd)"]["cpu_pct"]),
                "machine_cpu_pct": round(machine),
                "facade_jvm_died": False, "accepted": run["ok"], "stored": len(stored), "handled": handled,
                # By event id: a 503 may have been stored too, so no count of 202s can stand in for the stored ones.
                "lost": {app: len(stored) - len(done[app]) for app in bench.SUBSCRIBERS},
                "accepted_beyond_stored": max(0, run["ok"] - len(stored)),
            }), flush=True)


if __name__ == "__main__":
    main()
