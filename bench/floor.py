#!/usr/bin/env python3
"""What Spring WebFlux costs per request by itself: bench/floor (POST /followers answered 202 with a small JSON
body, nothing else) started with the apps' JVM options from dapr.yaml, wrk at saturation as in the benchmark, and
the JVM's CPU divided by the 202s. The facade cannot cost less than this per request; compare it with
bench/publish_path.py's figures for the facade and for daprd's own HTTP publish (BENCHMARKS.md, round 13).

Usage: python3 bench/floor.py [--warmup S] [--rounds N] [--seconds S] [--port PORT]
Builds bench/floor first (the same Spring Boot as the apps). Stop scripts/run.sh first: the load shares the two cores.
"""
import argparse
import json
import os
import re
import subprocess
import time
import urllib.request

import bench

FLOOR = bench.ROOT / "bench/floor"
JAR = FLOOR / "target/webflux-floor.jar"


def java_opts():
    """The JAVA_OPTS every app gets from dapr.yaml, so that the floor runs on the same heap and collector."""
    match = re.search(r'JAVA_OPTS:\s*"([^"]*)"', (bench.ROOT / "dapr.yaml").read_text())
    if match is None:
        raise SystemExit("floor: no JAVA_OPTS in dapr.yaml")
    return match.group(1).split()


def wait_answering(url, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            request = urllib.request.Request(url, data=b'{"userId":"a","followerId":"b"}',
                                             headers={"Content-Type": "application/json"})
            urllib.request.urlopen(request, timeout=5)
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"floor: {url} did not answer within {timeout} s")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--warmup", type=int, default=90, help="seconds of saturation first, discarded")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10, help="length of each measured round")
    parser.add_argument("--port", type=int, default=8090)
    args = parser.parse_args()

    # Built every time (seconds when up to date): a jar left from before a Spring Boot upgrade would measure the old one.
    subprocess.run([str(bench.ROOT / "mvnw"), "-q", "-f", str(FLOOR / "pom.xml"), "-DskipTests", "package"],
                   check=True)
    app = subprocess.Popen(["java", *java_opts(), "-jar", str(JAR), f"--server.port={args.port}"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{args.port}/followers"
        wait_answering(url)
        bench.wrk(url, args.warmup)
        hz = os.sysconf("SC_CLK_TCK")
        for number in range(1, args.rounds + 1):
            before = bench.cpu_ticks(app.pid)
            result = bench.wrk(url, args.seconds)
            spent = bench.cpu_ticks(app.pid) - before
            print(json.dumps({
                "label": "webflux-floor", "round": number, "requests_per_s": round(result["rps"]),
                "p99_ms": result["p99_ms"], "errors": result["errors"],
                "jvm_cpu_ms_per_request": round(1000 * spent / hz / result["ok"], 3),
            }), flush=True)
    finally:
        app.terminate()
        app.wait()


if __name__ == "__main__":
    main()
