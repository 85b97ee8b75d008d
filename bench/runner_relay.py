#!/usr/bin/env python3
"""The local runner's own cost while the stack is saturated: its CPU per line of output it relays (every process's
lines pass through it, thousands a second under load) and its peak resident memory. It shares the two cores with
the stack, so what it spends is taken from the product in every phase of the benchmark (BENCHMARKS.md, round 31).

Usage: python3 bench/runner_relay.py [--root CHECKOUT] [--label NAME] [--warmup S] [--rounds N] [--seconds S]
Starts the stack of CHECKOUT (its jars built: ./mvnw package -DskipTests), saturates the facade for --warmup s,
then prints one JSON line per round: wrk saturates the facade for --seconds, and the figures include the drain
after it. Alternate two checkouts, stack after stack, to compare them.
"""
import json

import bench


def main():
    parser = bench.harness_arguments(rounds=2)
    parser.add_argument("--seconds", type=int, default=20, help="length of each measured round")
    args = parser.parse_args()
    bench.ROOT = args.root.resolve()

    with bench.warm_stack(None, args.warmup) as (stack, pids):
        runner = {bench.RUNNER: pids[bench.RUNNER]}
        for number in range(1, args.rounds + 1):
            mark = stack.mark()
            sampler = bench.Sampler(runner)
            result = bench.wrk(bench.FACADE, args.seconds)
            if bench.wait_drained(600) is None:
                raise SystemExit("runner_relay: the subscribers did not drain within 600 s")
            found = sampler.stop()[bench.RUNNER]
            lines = stack.mark() - mark
            print(json.dumps({
                "label": args.label, "round": number, "requests_per_s": round(result["rps"]),
                "errors": result["errors"], "lines": lines, "lines_per_request": round(lines / result["ok"], 2),
                "runner_cpu_us_per_line": round(1e6 * found["cpu_s"] / lines, 2),
                "runner_peak_rss_mib": round(found["rss_mib"]),
            }), flush=True)


if __name__ == "__main__":
    main()
