#!/usr/bin/env python3
"""The subscribers' cost per event, alone: with both subscribers stopped (SIGSTOP), a backlog is published straight
to the facade's daprd; then they are resumed and drain it, and the CPU every process used over the drain is divided
by the events (with each app JVM's peak resident memory over the drain). Without a publisher competing for the two
cores, this is steadier than the benchmark's 1000/s phase, so it can tell two builds of the subscribers apart
(BENCHMARKS.md, rounds 10 and 26).

Usage: python3 bench/drain.py [--root CHECKOUT] [--label NAME] [--warmup S] [--rounds N] [--backlog S]
                              [--profile LIBASYNCPROFILER_SO]
Starts the stack of CHECKOUT (its jars built: ./mvnw package -DskipTests), saturates the facade for --warmup s,
then prints one JSON line per round. Alternate two checkouts, stack after stack, to compare them.

--profile: each round, both subscriber JVMs under async-profiler (CPU, one sample per ms of CPU, by thread), written
as collapsed stacks to bench/results/profile-LABEL-APP-rN.collapsed. The profiler costs CPU too: compare the
shares of a profile, and the CPU figures of rounds without it. async-profiler is on Maven Central:
./mvnw -N dependency:copy -Dartifact=tools.profiler:async-profiler:4.1:jar:linux-x64 -DoutputDirectory=/tmp/ap,
then unzip the jar; the library is linux-x64/libasyncProfiler.so.
"""
import json
import os
import subprocess
import time

import bench


def main():
    parser = bench.harness_arguments(rounds=5)
    parser.add_argument("--backlog", type=int, default=4, help="seconds of publishing per round")
    parser.add_argument("--profile", type=os.path.abspath, help="libasyncProfiler.so: profile the subscriber JVMs")
    args = parser.parse_args()
    bench.ROOT = args.root.resolve()

    hz = os.sysconf("SC_CLK_TCK")
    with bench.warm_stack(None, args.warmup) as (stack, pids):
        token = bench.facade_token()
        jvms = {name: pid for name, pid in pids.items() if name.endswith("(JVM)") and "runner" not in name}
        for number in range(1, args.rounds + 1):
            if args.profile:  # before the stop: a stopped JVM cannot be attached to (and takes no samples)
                profile(args.profile, pids, "start,event=cpu,interval=1000000,threads")
            with bench.subscribers_stopped(pids):
                backlog = bench.wrk(bench.DAPRD_PUBLISH, args.backlog, body="data", token=token)
                time.sleep(1)  # the facade's daprd and Redis settle before counting starts
                mark = stack.mark()
                before = {name: bench.process_ticks(name, pid) for name, pid in pids.items()}
                start = time.monotonic()
            sampler = bench.Sampler(jvms)
            if bench.wait_drained(600) is None:
                raise SystemExit("drain: the backlog was not drained within 600 s")
            seconds = time.monotonic() - start
            resources = sampler.stop()
            if args.profile:
                file = bench.ROOT / f"bench/results/profile-{args.label}-{{app}}-r{number}.collapsed"
                profile(args.profile, pids, f"stop,file={file},collapsed")
            events = backlog["ok"]
            print(json.dumps({
                "label": args.label, "round": number, "events": events, "drain_s": round(seconds, 1),
                "events_per_s": round(events / seconds),
                "cpu_ms_per_event": {name: round(1000 * (bench.process_ticks(name, pid) - before[name]) / hz / events, 3)
                                     for name, pid in pids.items()},
                "events_per_delivery": {app: round(d["mean"], 1) for app, d in stack.deliveries(mark).items()},
                "peak_rss_mib": {name: round(r["rss_mib"]) for name, r in resources.items()},
            }), flush=True)


def profile(library, pids, command):
    """One async-profiler command ({app} replaced by the app's name) to each subscriber JVM; jcmd loads the agent,
    or reuses the one loaded."""
    for app in bench.SUBSCRIBERS:
        subprocess.run(["jcmd", str(pids[f"{app} (JVM)"]), "JVMTI.agent_load", library, f'"{command.format(app=app)}"'],
                       check=True, capture_output=True)


if __name__ == "__main__":
    main()
