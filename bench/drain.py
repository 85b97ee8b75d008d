#!/usr/bin/env python3
"""The subscribers' cost per event, alone: with both subscribers stopped (SIGSTOP), a backlog is published straight
to the facade's daprd; then they are resumed and drain it, and the CPU every process used over the drain is divided
by the events. Without a publisher competing for the two cores, this is steadier than the benchmark's 1000/s
phase, so it can tell two builds of the subscribers apart (BENCHMARKS.md, round 10).

Usage: python3 bench/drain.py [--root CHECKOUT] [--label NAME] [--warmup S] [--rounds N] [--backlog S]
Starts the stack of CHECKOUT (its jars built: ./mvnw package -DskipTests), saturates the facade for --warmup s,
then prints one JSON line per round. Alternate two checkouts, stack after stack, to compare them.
"""
import json
import os
import time

import bench


def main():
    parser = bench.harness_arguments(rounds=5)
    parser.add_argument("--backlog", type=int, default=4, help="seconds of publishing per round (~5000 events/s)")
    args = parser.parse_args()
    bench.ROOT = args.root.resolve()

    hz = os.sysconf("SC_CLK_TCK")
    with bench.warm_stack(None, args.warmup) as (stack, pids):
        token = bench.facade_token()
        for number in range(1, args.rounds + 1):
            with bench.subscribers_stopped(pids):
                backlog = bench.wrk(bench.DAPRD_PUBLISH, args.backlog, body="data", token=token)
                time.sleep(1)  # the facade's daprd and Redis settle before counting starts
                mark = stack.mark()
                before = {name: bench.cpu_ticks(pid) for name, pid in pids.items()}
                start = time.monotonic()
            if bench.wait_drained(600) is None:
                raise SystemExit("drain: the backlog was not drained within 600 s")
            seconds = time.monotonic() - start
            events = backlog["ok"]
            print(json.dumps({
                "label": args.label, "round": number, "events": events, "drain_s": round(seconds, 1),
                "events_per_s": round(events / seconds),
                "cpu_ms_per_event": {name: round(1000 * (bench.cpu_ticks(pid) - before[name]) / hz / events, 3)
                                     for name, pid in pids.items()},
                "events_per_delivery": {app: round(d["mean"], 1) for app, d in stack.deliveries(mark).items()},
            }), flush=True)


if __name__ == "__main__":
    main()
