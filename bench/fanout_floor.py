#!/usr/bin/env python3
"""The fan-out's floor: what the sidecars and the machine alone make of acceptance → arrival at a subscriber, at a
paced rate, measured against the real subscribers in alternating stacks. The floor's subscribers
(bench/fanout-floor/NoopSubscriber.java, the JDK alone) announce the same bulk subscription, log each event's
arrival as the real ones do, and answer SUCCESS at once: no idempotency records, no effect. The rest is the real
stack: the facade, three daprd, Redis. No subscriber can be faster than the floor on the same machine, so it tells
how much of the fan-out's time the subscribers could still win, and what the goal asks of the sidecars
(BENCHMARKS.md, round 18).

Per event: acceptance (its followedAt), the broker (its stream entry's id: Redis's clock at the XADD), and each
subscriber's arrival (the subscriber's log line of it, to the ms, in the machine's local time as the apps log).

Usage: python3 bench/fanout_floor.py [--root CHECKOUT] [--rate R] [--seconds S] [--phases N] [--stacks N]
                                     [--warmup S]
Starts the stack of CHECKOUT (its jars built: ./mvnw package -DskipTests), then the same stack with the floor's
subscribers, --stacks times each, alternating; prints one JSON line per phase, then a Markdown table.
Stop scripts/run.sh first: the stacks use the same ports.
"""
import argparse
import datetime
import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import bench

SOURCE = Path(__file__).resolve().parent / "fanout-floor/NoopSubscriber.java"
# "email-notification-service-1  | 21:24:03.512 INFO  … followerAdded id=<event id> trace=…" (the runner's prefix)
ARRIVAL = re.compile(r"(\S+)-\d+\s+\|\s+(\d\d):(\d\d):(\d\d)\.(\d\d\d) INFO .*followerAdded id=(\S+) ")


def floor_root(root):
    """A checkout whose subscriber jars are the floor's: every entry of root linked, the subscribers' directories
    holding the floor's jar under their own jar names (the runner starts what dapr.yaml names)."""
    work = root / "bench/results/fanout-floor"
    shutil.rmtree(work, ignore_errors=True)
    classes = work / "classes"
    subprocess.run(["javac", "-d", str(classes), str(SOURCE)], check=True)
    jar = work / "noop-subscriber.jar"
    subprocess.run(["jar", "--create", "--file", str(jar), "--main-class", "NoopSubscriber", "-C", str(classes), "."],
                   check=True)
    shadow = work / "root"
    shadow.mkdir()
    for entry in root.iterdir():
        if entry.name not in bench.SUBSCRIBERS:
            (shadow / entry.name).symlink_to(entry)
    for app in bench.SUBSCRIBERS:
        (shadow / app / "target").mkdir(parents=True)
        (shadow / app / "target" / f"{app}.jar").symlink_to(jar)
    return shadow


def arrivals(lines, entries):
    """Per subscriber, each event's arrival in epoch ms, from its log lines: the time of day is placed on the day
    of the event's arrival in the broker, so that a phase across midnight reads right."""
    found = {app: {} for app in bench.SUBSCRIBERS}
    for line in lines:
        m = ARRIVAL.match(line)
        if not m or m.group(1) not in found or m.group(6) not in entries:
            continue
        broker = datetime.datetime.fromtimestamp(entries[m.group(6)][1] / 1000)
        h, mi, s, ms = map(int, m.group(2, 3, 4, 5))
        at = broker.replace(hour=h, minute=mi, second=s, microsecond=ms * 1000)
        if (at - broker).total_seconds() < -12 * 3600:
            at += datetime.timedelta(days=1)
        found[m.group(1)].setdefault(m.group(6), at.timestamp() * 1000)
    return found


def machine_busy():
    """(busy, total) clock ticks of the whole machine so far: the load tool and everything else count too."""
    ticks = [int(t) for t in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(ticks) - ticks[3] - ticks[4], sum(ticks)


def phase(stack, rate, seconds):
    bench.wait_drained()
    mark, newest, before = stack.mark(), bench.last_stream_id(), machine_busy()
    run = bench.wrk(bench.FACADE, seconds, rate=rate, connections=bench.paced_connections(rate))
    after = machine_busy()
    bench.wait_drained()
    entries = bench.stream_entries(newest)
    result = {"rps": round(run["rps"]), "errors": run["errors"], "events": len(entries),
              "machine_cpu_pct": round(200 * (after[0] - before[0]) / (after[1] - before[1])),
              "to_broker_ms": hop([broker - accepted for accepted, broker in entries.values()])}
    for app, arrived in arrivals(stack.lines[mark:], entries).items():
        result[app] = {"arrived": len(arrived),
                       "broker_to_app_ms": hop([at - entries[event][1] for event, at in arrived.items()]),
                       "acceptance_to_app_ms": hop([at - entries[event][0] for event, at in arrived.items()])}
    return result


def hop(delays):
    return [None if not delays else round(bench.percentile(delays, q), 1) for q in (0.5, 0.99)]


def table(results):
    """The phases as a Markdown table, as BENCHMARKS.md shows them."""
    names = [app.split("-")[0] for app in bench.SUBSCRIBERS]
    rows = ["| stack | phase | rate reached | machine CPU | acceptance → broker p50 / p99 | "
            + " | ".join(f"broker → {name} p50 / p99 | acceptance → {name} p50 / p99" for name in names) + " |",
            "| --- " * (5 + 2 * len(names)) + "|"]
    for r in results:
        cells = [r["stack"], r["phase"], f'{r["rps"]}/s', f'{r["machine_cpu_pct"]} %',
                 "{} / {}".format(*r["to_broker_ms"])]
        for app in bench.SUBSCRIBERS:
            cells += ["{} / {}".format(*r[app]["broker_to_app_ms"]), "{} / {}".format(*r[app]["acceptance_to_app_ms"])]
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
    args = parser.parse_args()
    roots = {"subscribers": args.root.resolve(), "floor": floor_root(args.root.resolve())}
    results = []
    for number in range(1, args.stacks + 1):
        for kind, root in roots.items():
            bench.ROOT = root
            with bench.warm_stack(None, args.warmup) as (stack, _):
                bench.warm_paced(args.rate)
                for n in range(1, args.phases + 1):
                    result = {"stack": f"{kind}-{number}", "phase": n, "at": time.strftime("%H:%M:%S"),
                              **phase(stack, args.rate, args.seconds)}
                    print(json.dumps(result), flush=True)
                    results.append(result)
    print()
    print(table(results))


if __name__ == "__main__":
    main()
