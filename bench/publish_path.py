#!/usr/bin/env python3
"""The publish path's cost per request, alone: both subscribers stopped (SIGSTOP), wrk saturates the facade for
--seconds, and the CPU of the facade's JVM, its daprd, Redis and the local runner is divided by the 202s (with the
facade JVM's peak resident memory over the round). The facade daprd's own metrics say how many bulk publishes
carried them (events per call). With --direct, each round also saturates the facade's daprd straight (the
benchmark's ceiling), measured the same way. Without the subscribers competing for the two cores this is steadier
than the benchmark's saturation phases, so it can tell two builds, or two settings, of the facade apart
(BENCHMARKS.md, rounds 12 and 13).

Usage: python3 bench/publish_path.py [--root CHECKOUT] [--label NAME] [--warmup S] [--rounds N] [--seconds S]
                                     [--direct] [--java-opts OPTS] [--connections N[,N...]]
Starts the stack of CHECKOUT (its jars built: ./mvnw package -DskipTests), saturates the facade for --warmup s,
then prints one JSON line per round and target. Alternate two checkouts (or two --java-opts), stack after stack,
to compare them; the first round after the warm-up still carries some JIT work.
"""
import json
import os
import urllib.request

import bench

BULK_METHOD = "/dapr.proto.runtime.v1.Dapr/BulkPublishEventAlpha1"
FACADE_JVM = "api-facade (JVM)"
WATCHED = (FACADE_JVM, "api-facade (daprd)", "redis-server", bench.RUNNER)


def bulk_calls():
    """Bulk publishes the facade's daprd has completed so far, whatever their outcome."""
    port = bench.DAPRD_METRICS["api-facade"]
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith("dapr_grpc_io_server_completed_rpcs") and BULK_METHOD in line)


def main():
    parser = bench.harness_arguments(rounds=3)
    parser.add_argument("--seconds", type=int, default=10, help="length of each measured round")
    parser.add_argument("--direct", action="store_true", help="also wrk straight to the facade's daprd each round")
    parser.add_argument("--java-opts", default=None, help="JAVA_OPTS for the apps (default: dapr.yaml's)")
    parser.add_argument("--connections", default=str(bench.CONNECTIONS),
                        help="wrk's connections, or several (comma-separated), each measured in every round")
    args = parser.parse_args()
    levels = [int(level) for level in args.connections.split(",")]
    bench.ROOT = args.root.resolve()

    hz = os.sysconf("SC_CLK_TCK")
    with bench.warm_stack(args.java_opts, args.warmup) as (_, pids):
        targets = [("facade", bench.FACADE, "follow", "")]
        if args.direct:
            targets.append(("direct", bench.DAPRD_PUBLISH, "data", bench.facade_token()))
        for number in range(1, args.rounds + 1):
            for connections, (target, url, body, auth) in ((c, t) for c in levels for t in targets):
                with bench.subscribers_stopped(pids):
                    calls = bulk_calls()
                    before = {name: bench.process_ticks(name, pids[name]) for name in WATCHED}
                    sampler = bench.Sampler({FACADE_JVM: pids[FACADE_JVM]})
                    result = bench.wrk(url, args.seconds, body=body, token=auth, connections=connections)
                    peak_rss = sampler.stop()[FACADE_JVM]["rss_mib"]
                    after = {name: bench.process_ticks(name, pids[name]) for name in WATCHED}
                    calls = bulk_calls() - calls
                accepted = result["ok"]
                print(json.dumps({
                    "label": args.label, "round": number, "target": target, "connections": connections,
                    "requests_per_s": round(result["rps"]),
                    "p50_ms": result["p50_ms"], "p99_ms": result["p99_ms"], "errors": result["errors"],
                    "events_per_bulk_call": round(accepted / calls, 1) if target == "facade" and calls else None,
                    "cpu_ms_per_request": {name: round(1000 * (after[name] - before[name]) / hz / accepted, 3)
                                           for name in WATCHED},
                    "facade_peak_rss_mib": round(peak_rss),
                }), flush=True)
                if bench.wait_drained(600) is None:
                    raise SystemExit("publish_path: the subscribers did not drain within 600 s")


if __name__ == "__main__":
    main()
