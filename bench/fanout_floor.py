#!/usr/bin/env python3
"""The fan-out's floor: what the sidecars and the machine alone make of acceptance → arrival at a subscriber, at a
paced rate, measured against the real subscribers in alternating stacks. The floor's subscribers
(bench/fanout-floor/NoopSubscriber.java, the JDK alone) announce the same bulk subscription, log each event's
arrival as the real ones do, and answer SUCCESS at once: no idempotency records, no effect. The rest is the real
stack: the facade, three daprd, Redis. No subscriber can be faster than the floor on the same machine, so it tells
how much of the fan-out's time the subscribers could still win, and what the goal asks of the sidecars
(BENCHMARKS.md, round 18).

Per event: acceptance (its followedAt), the broker (its stream entry's id: Redis's clock at the XADD), and each
subscriber's arrival (the subscriber's log line of it, to the ms, in the machine's local time as the apps log):
bench.arrival_phase. The benchmark (bench.py) measures one floor phase after its own stack; this harness alternates
several stacks of each kind, for a comparison less exposed to the machine's drift.

Usage: python3 bench/fanout_floor.py [--root CHECKOUT] [--rate R] [--seconds S] [--phases N] [--stacks N]
                                     [--warmup S] [--direct] [--kinds subscribers,floor]
Starts the stack of CHECKOUT (its jars built: ./mvnw package -DskipTests), then the same stack with the floor's
subscribers, --stacks times each, alternating; prints one JSON line per phase, then a Markdown table.
Stop scripts/run.sh first: the stacks use the same ports.
"""
import argparse
import json
import time
from pathlib import Path

import bench


def phase(stack, pids, rate, seconds, direct_token=None):
    run = bench.arrival_phase(stack, pids, rate, seconds, direct_token)
    direct = direct_token is not None  # no acceptance time then: the broker's is the first
    result = {"rps": round(run["rps"]), "errors": run["errors"], "events": run["events"],
              "machine_cpu_pct": round(run["machine_cpu_pct"]),
              "to_broker_ms": [None, None] if direct else hop(run["to_broker"]),
              "cpu_ms_per_event": {name: round(bench.cpu_ms_per_event(run, [name]), 3) for name in pids}}
    for app in bench.SUBSCRIBERS:
        result[app] = {"arrived": len(run["to_app"][app]), "broker_to_app_ms": hop(run["broker_to_app"][app]),
                       "acceptance_to_app_ms": [None, None] if direct else hop(run["to_app"][app])}
    return result


def hop(delays):
    return [None if not delays else round(bench.percentile(delays, q), 1) for q in (0.5, 0.99)]


def cell(p50_p99):
    return "–" if p50_p99[0] is None else "{} / {}".format(*p50_p99)


def table(results):
    """The phases as a Markdown table, as BENCHMARKS.md shows them."""
    names = [app.split("-")[0] for app in bench.SUBSCRIBERS]
    rows = ["| stack | phase | rate reached | machine CPU | acceptance → broker p50 / p99 | "
            + " | ".join(f"broker → {name} p50 / p99 | acceptance → {name} p50 / p99" for name in names) + " |",
            "| --- " * (5 + 2 * len(names)) + "|"]
    for r in results:
        cells = [r["stack"], r["phase"], f'{r["rps"]}/s', f'{r["machine_cpu_pct"]} %',
                 cell(r["to_broker_ms"])]
        for app in bench.SUBSCRIBERS:
            cells += [cell(r[app]["broker_to_app_ms"]), cell(r[app]["acceptance_to_app_ms"])]
        rows.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=bench.ROOT, help="the checkout whose stack runs")
    parser.add_argument("--rate", type=int, default=1000, help="events per second")
    parser.add_argument("--seconds", type=int, default=20, help="per phase")
    parser.add_argument("--phases", type=int, default=2, help="per stack")
    parser.add_argument("--stacks", type=int, default=2, help="of each kind, alternating")
    parser.add_argument("--warmup", type=int, default=150, help="seconds of saturation first, discarded")
    parser.add_argument("--direct", action="store_true",
                        help="publish straight to the facade's daprd, not through the facade: the hop from the "
                             "broker to the apps with no code of this project on the way (with --kinds floor)")
    parser.add_argument("--kinds", default="subscribers,floor", help="which stacks, alternating: subscribers, floor")
    args = parser.parse_args()
    kinds = args.kinds.split(",")
    roots = {"subscribers": args.root.resolve(), "floor": bench.floor_root(args.root.resolve())}
    results = []
    for number in range(1, args.stacks + 1):
        for kind in kinds:
            with bench.warm_stack(None, args.warmup, roots[kind]) as (stack, pids):
                token = bench.facade_token() if args.direct else None
                bench.warm_paced(args.rate, token)
                for n in range(1, args.phases + 1):
                    result = {"stack": f"{kind}-{number}", "phase": n, "at": time.strftime("%H:%M:%S"),
                              **phase(stack, pids, args.rate, args.seconds, token)}
                    print(json.dumps(result), flush=True)
                    results.append(result)
    print()
    print(table(results))


if __name__ == "__main__":
    main()
