#!/usr/bin/env python3
"""The fan-out benchmark: starts the real local stack (scripts/run.sh's runner), then measures in one run

  * facade throughput and latency at saturation and at fixed rates (wrk, bench/post.lua), 202s only;
  * the ceilings to compare with, measured the same way in the same run: wrk publishing straight to the facade's
    daprd HTTP API, and redis-benchmark XADD;
  * fan-out latency from the facade's acceptance to each subscriber's effect (the subscribers' own timestamps,
    GET /actuator/fanoutlatency), and how many bulk deliveries each subscriber took to handle them (their access
    lines), which is what their CPU per event depends on;
  * the fan-out's floor at 1000/s, the ceiling's counterpart for latency: after the product's stack, the same stack
    with subscribers that do nothing (floor_phase), each event's arrival timed the same way in both, and each
    process's CPU per event in both;
  * CPU and resident memory of each app JVM and each daprd, at rest and under load (Redis's with the children it
    forks to rewrite its append-only file, and how long it was rewriting); each app's start-up time;
  * each app JVM's garbage collections during each phase: how many, their total and their longest pause;
  * errors and lost events.

Writes a Markdown report to bench/results/ and prints it. Every figure is from this run, on this machine.
The facade/direct ratio is measured over several pairs of saturation phases in alternating order (--pairs), and
reported as the median pair with the spread: both terms move from run to run on these shared cores. It is measured
at each of --connections (wrk's constant concurrency): the facade batches the events of concurrent requests into
one bulk publish, daprd's HTTP publish takes one event per request, so the two answer concurrency differently. The
detailed tables are the first level's.
Usage: scripts/bench.sh [--duration SECONDS] [--warmup SECONDS] [--pairs ODD] [--connections N,N...]
                        [--java-opts OPTS]
"""
import argparse
import collections
import contextlib
import datetime
import json
import os
import platform
import pwd
import re
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ["api-facade", "email-notification-service", "push-notification-service"]
APP_JVMS = [f"{app} (JVM)" for app in APPS]  # their names in processes()
SUBSCRIBERS = {"email-notification-service": 8081, "push-notification-service": 8082}
FACADE = "http://127.0.0.1:8080/followers"
DAPRD_PUBLISH = "http://127.0.0.1:3500/v1.0/publish/pubsub/followerAdded"
REDIS_PORT = "6380"
CONNECTIONS = 32
DELIVERY_LINE = re.compile(r"(\S+)-\d+\s+\|.*\saccess\s+POST /followerAdded 2\d\d .*\bentries=(\d+)")


def paced_connections(rate):
    """wrk paces each connection (a request every CONNECTIONS/RATE s after the previous answer), so the rate it
    reaches is RATE / (1 + latency * RATE / CONNECTIONS): enough connections keep that within a few percent of
    the target while the system keeps up. The rate reached is what the report shows."""
    return max(CONNECTIONS, rate // 4)


class Stack:
    """The runner in the background, its output kept for the start-up times; the stack of root's build (ROOT's by
    default)."""

    def __init__(self, java_opts, root=None):
        root = root or ROOT
        self.lines = []
        self.ready = threading.Event()
        env = dict(os.environ)
        if java_opts is not None:
            env["JAVA_OPTS"] = java_opts  # the entrypoint starts each app with it
        # The stack's stream trimmer makes one pass at start, then waits a day: lost events are counted by the
        # stream entries each phase left, which it would remove once both subscribers acknowledged them. The bench
        # trims between phases instead (start_drained), so its pass every 10 s (one XTRIM in Redis) is not inside
        # the measured phases.
        env["TRIM_INTERVAL_SECONDS"] = "86400"
        # The default broker, without a password, whatever the caller's shell holds for compose: the bench asks
        # Redis itself (redis-cli, a socket) without one.
        env.pop("REDIS_PASSWORD", None)
        run_dir = ROOT / "bench/results/run"
        # A fresh broker: every run starts from the same state. The runner empties it once it holds the run
        # directory, never under another stack (--fresh); older checkouts' runners lack the option.
        runner_main = root / "local-runner/src/main/java/dev/fanout/runner/RunnerMain.java"
        fresh = ["--fresh"] if runner_main.exists() and '"--fresh"' in runner_main.read_text() else []
        if not fresh:
            subprocess.run(["rm", "-rf", str(run_dir / "redis")], check=True)
        # The runner's JVM options, as scripts/run.sh gives them, where the checkout has them (older ones do not).
        runner_opts = root / "local-runner/java.args"
        self.process = subprocess.Popen(
            ["java", *([f"@{runner_opts}"] if runner_opts.exists() else []), f"-Dfanout.root={root}", "-jar",
             str(root / "local-runner/target/local-runner-exec.jar"), "--run-dir", str(run_dir), *fresh],
            cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        self.started = time.monotonic()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            if "READY." in line:
                self.ready.set()

    def wait_ready(self, timeout=300):
        if not self.ready.wait(timeout):
            sys.exit("bench: the stack did not get ready:\n" + "\n".join(self.lines[-40:]))

    def startup_seconds(self):
        """Per app: Spring's 'process running for' at 'Started': from the JVM's start to the context started, before
        the app's runners (the sidecar warm-up) and its readiness."""
        found = {}
        for line in self.lines:
            m = re.match(r"(\S+)-1\s+\|.*Started \w+ in [\d.]+ seconds \(process running for ([\d.]+)\)", line)
            if m:
                found[m.group(1)] = float(m.group(2))
        return found

    def ready_seconds(self):
        """The runner's own 'ready in' figure: from its start until every pair was ready and subscribed."""
        for line in self.lines:
            m = re.search(r"runner\s+\|\s+ready in ([\d.]+) s", line)
            if m:
                return float(m.group(1))
        return None

    def mark(self):
        """Where the output stands now: deliveries() counts from here."""
        return len(self.lines)

    def deliveries(self, since):
        """Per subscriber, the bulk deliveries daprd made since the mark, from their access lines
        ("POST /followerAdded 200 … entries=N"): how many, and how many events each carried on average. A
        subscriber's CPU per event depends mostly on that average (BENCHMARKS.md, round 8)."""
        found = {app: [] for app in SUBSCRIBERS}
        for line in self.lines[since:]:
            m = DELIVERY_LINE.match(line)
            if m and m.group(1) in found:
                found[m.group(1)].append(int(m.group(2)))
        return {app: {"calls": len(sizes), "mean": sum(sizes) / len(sizes) if sizes else 0.0}
                for app, sizes in found.items()}

    def stop(self):
        self.process.terminate()  # SIGTERM: the runner stops everything in order
        self.process.wait(120)


APP_PORTS = {"api-facade": (8080, 3500), "email-notification-service": (8081, 3501),
             "push-notification-service": (8082, 3502)}


def pid_listening(port):
    """The process listening on a loopback port: this run's, even if another stack runs on other ports."""
    out = subprocess.run(["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True).stdout
    m = re.search(r"pid=(\d+)", out)
    if not m:
        sys.exit(f"bench: nothing listens on port {port}")
    return int(m.group(1))


def processes(runner_pid):
    found = {}
    for app, (app_port, dapr_port) in APP_PORTS.items():
        found[f"{app} (JVM)"] = pid_listening(app_port)
        found[f"{app} (daprd)"] = pid_listening(dapr_port)
    # Not part of the product, but on the same two cores: the broker, and the runner that relays every log line.
    found["redis-server"] = pid_listening(int(REDIS_PORT))
    found[RUNNER] = runner_pid
    return found


RUNNER = "local runner (JVM)"


def stat_ticks(stat):
    """(command name, user + system clock ticks) from a /proc/…/stat file's text."""
    comm, fields = stat.split("(", 1)[1].rsplit(")", 1)
    fields = fields.split()
    return comm, int(fields[11]) + int(fields[12])


def cpu_ticks(pid, children=False):
    """User + system clock ticks of the process; with children, also those of its children, ended or running. Redis
    forks a child to rewrite its append-only file, which can take a core for seconds: that CPU is Redis's."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    ticks = stat_ticks(stat)[1]
    if not children:
        return ticks
    fields = stat.rsplit(")", 1)[1].split()
    ended = int(fields[13]) + int(fields[14])  # cutime + cstime: children waited for
    running = 0
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):  # ended since
            running += cpu_ticks(int(child))
    return ticks + ended + running


FORKING = {"redis-server"}  # the processes whose children's CPU is theirs (cpu_ticks)


def process_ticks(name, pid):
    return cpu_ticks(pid, children=name in FORKING)


def rss_mib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def compiler_cpu_seconds(pid):
    """CPU seconds the JVM's JIT compiler threads (HotSpot's "C1/C2 CompilerThread…") have used so far; None for a
    process that is not a JVM. Tells whether a phase measured compiled code or the compiler (BENCHMARKS.md, rounds 6
    and 9). A compiler thread that HotSpot retires takes its CPU with it; HotSpot keeps the first of each kind, and
    on two cores there are no others."""
    seconds, found = 0.0, False
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            comm, ticks = stat_ticks((task / "stat").read_text())
        except (OSError, ValueError):
            continue  # the thread ended meanwhile
        if comm.startswith(("C1 CompilerThre", "C2 CompilerThre")):
            seconds += ticks / os.sysconf("SC_CLK_TCK")
            found = True
    return seconds if found else None


def compile_wall_seconds(pid):
    """HotSpot's own compile-time counter (java.ci.totalTime, read from the JVM's hsperfdata file rather than
    through jstat, which would start a JVM of its own): the wall time compilations took, None for a process that
    is not a JVM. On two busy cores a compilation waits for CPU, so this runs 2-7 times ahead of
    compiler_cpu_seconds; rounds 6-8 reported it as if it were CPU (BENCHMARKS.md, round 9)."""
    try:
        user = pwd.getpwuid(os.stat(f"/proc/{pid}").st_uid).pw_name
        data = Path(f"/tmp/hsperfdata_{user}/{pid}").read_bytes()
    except (OSError, KeyError):
        return None
    order = "<" if data[4] == 1 else ">"
    entry_offset, entries = struct.unpack_from(order + "ii", data, 24)
    counters = {}
    for _ in range(entries):
        length, name_offset, _vector, kind, _flags, _units, _variability, data_offset = struct.unpack_from(
            order + "iiibbbbi", data, entry_offset)
        name = data[entry_offset + name_offset:data.index(b"\0", entry_offset + name_offset)].decode()
        if name in ("java.ci.totalTime", "sun.os.hrt.frequency") and kind == ord("J"):
            counters[name] = struct.unpack_from(order + "q", data, entry_offset + data_offset)[0]
        entry_offset += length
    if len(counters) < 2:
        return None
    return counters["java.ci.totalTime"] / counters["sun.os.hrt.frequency"]


def gc_log(pid):
    return ROOT / f"bench/results/run/gc-{pid}.log"


def log_collections(pids):
    """Turns on the GC log of each app JVM, in the running JVM (jcmd VM.log), so that the apps run on the
    JAVA_OPTS they ship with and each phase can still report its collections' pauses (Sampler). Half of the 1000/s
    tail was the facade's young collections (BENCHMARKS.md, round 15)."""
    for name in APP_JVMS:
        subprocess.run(["jcmd", str(pids[name]), "VM.log", f"output={gc_log(pids[name])}", "what=gc=info",
                        "decorators=time"], check=True, capture_output=True)


PAUSE_LINE = re.compile(r"^\[([^]]+)\].* GC\(\d+\) Pause .* ([\d.]+)ms$")


def gc_pauses(pid, start, end):
    """(collections, total pause ms, longest pause ms) logged between two wall-clock times; None without a log."""
    try:
        lines = gc_log(pid).read_text().splitlines()
    except OSError:
        return None
    pauses = []
    for line in lines:
        m = PAUSE_LINE.match(line)
        if m and start <= datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f%z").timestamp() <= end:
            pauses.append(float(m.group(2)))
    return len(pauses), sum(pauses), max(pauses, default=0.0)


def jit_reading(pid):
    """(compiler CPU s, compile wall s) so far."""
    return compiler_cpu_seconds(pid), compile_wall_seconds(pid)


def jit_spent(before, after):
    """(compiler CPU s, compile wall s) between two readings; None where either side was unreadable."""
    return tuple(None if b is None or a is None else a - b for b, a in zip(before, after))


class Sampler:
    """CPU (percent of one core), peak RSS, JIT compilers (CPU, wall time) and, for the JVMs whose collections are
    logged (log_collections), their GC pauses, of each process over a window; and for Redis, how long it was
    rewriting its append-only file (aof_rewrite_s, to the sampling period)."""

    PERIOD_S = 0.5

    def __init__(self, pids):
        self.pids = pids
        self.peak = {name: 0.0 for name in pids}
        self.rewriting = 0
        self.stopped = threading.Event()
        self.start_ticks = {name: process_ticks(name, pid) for name, pid in pids.items()}
        self.start_jit = {name: jit_reading(pid) for name, pid in pids.items()}
        self.start_time = time.monotonic()
        self.start_wall = time.time()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stopped.wait(self.PERIOD_S):
            for name, pid in self.pids.items():
                self.peak[name] = max(self.peak[name], rss_mib(pid))
            if "redis-server" in self.pids and aof_rewriting():
                self.rewriting += 1

    def stop(self):
        self.stopped.set()
        self.thread.join()
        elapsed = time.monotonic() - self.start_time
        end_wall = time.time()
        hz = os.sysconf("SC_CLK_TCK")
        cpu_s = {name: (process_ticks(name, pid) - self.start_ticks[name]) / hz for name, pid in self.pids.items()}
        found = {name: {"cpu_pct": 100 * cpu_s[name] / elapsed, "cpu_s": cpu_s[name],
                        "rss_mib": max(self.peak[name], rss_mib(pid)),
                        "jit": jit_spent(self.start_jit[name], jit_reading(pid)),
                        "gc": gc_pauses(pid, self.start_wall, end_wall)} for name, pid in self.pids.items()}
        if "redis-server" in found:
            found["redis-server"]["aof_rewrite_s"] = self.rewriting * self.PERIOD_S
        return found


def facade_token():
    """The runner makes fresh tokens per run; the facade's daprd holds its own in its environment."""
    pid = pid_listening(3500)
    env = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    for entry in env:
        if entry.startswith(b"DAPR_API_TOKEN="):
            return entry.split(b"=", 1)[1].decode()
    sys.exit("bench: no DAPR_API_TOKEN in the facade daprd's environment")


def wrk(url, duration, rate=0, body="follow", token="", connections=CONNECTIONS):
    env = dict(os.environ, RATE=str(rate), BODY=body, DAPR_API_TOKEN=token, CONNECTIONS=str(connections))
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", "10s",
               "-s", str(ROOT / "bench/post.lua"), url]
    out = subprocess.run(command, capture_output=True, text=True, env=env).stdout
    result_line = next((l for l in out.splitlines() if l.startswith("RESULT")), None)
    if result_line is None:
        sys.exit("bench: wrk printed no result:\n" + out)
    values = dict(kv.split("=") for kv in result_line.split()[1:])
    statuses = {k[len("status_"):]: int(v) for k, v in values.items() if k.startswith("status_")}
    seconds = int(values["duration_us"]) / 1e6
    ok = sum(v for k, v in statuses.items() if k.startswith("2"))
    return {"command": " ".join(command) + f"  (RATE={rate} BODY={body})", "raw": out.strip(),
            "ok": ok, "errors": sum(statuses.values()) - ok + int(values["socket_errors"]),
            "rps": ok / seconds, "p50_ms": int(values["p50_us"]) / 1000, "p90_ms": int(values["p90_us"]) / 1000,
            "p99_ms": int(values["p99_us"]) / 1000, "statuses": statuses}


def aof_rewriting():
    """Whether Redis is rewriting its append-only file now. Over a socket, not redis-cli: the samplers ask twice a
    second during the measured phases, and a process started each time would add to what they measure."""
    with socket.create_connection(("127.0.0.1", int(REDIS_PORT)), timeout=5) as redis, redis.makefile("rb") as reply:
        redis.sendall(b"INFO persistence\r\n")
        length = int(reply.readline()[1:])  # a bulk string: "$<length>\r\n", then the text
        return b"aof_rewrite_in_progress:1" in reply.read(length)


def rewrite_aof(timeout=300):
    """Has Redis rewrite its append-only file now, and waits until it has: the seconds it took. Redis rewrites the
    file by itself each time it has doubled, in a forked child that takes a core for seconds (BENCHMARKS.md, round
    19); right after a rewrite, a 20 s phase adds far less than the file holds, so none falls inside it by chance."""
    start = time.monotonic()
    redis_cli("BGREWRITEAOF")  # if one is already under way, Redis says so and that one will do
    while True:
        info = redis_cli("INFO", "persistence")
        if "aof_rewrite_in_progress:0" in info and "aof_rewrite_scheduled:0" in info:
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise RuntimeError(f"Redis still rewriting its append-only file after {timeout} s")
        time.sleep(0.2)


def redis_cli(*args):
    return subprocess.run(["redis-cli", "-p", REDIS_PORT, *args], capture_output=True, text=True).stdout


def drained():
    """Every entry of the topic's stream delivered to both groups and acknowledged, and every entry of a subscriber's
    dead-letter stream, if it has one, to that subscriber: an event dead-lettered during a phase is still being
    handled until its dead-letter route has answered (as lost, by event id, since it has no effect)."""
    return stream_drained("followerAdded", groups_wanted=2) and all(
        stream_drained(f"followerAdded-dead-letter-{app}", groups_wanted=0) for app in SUBSCRIBERS)


def stream_drained(stream, groups_wanted):
    """At least groups_wanted consumer groups on the stream, each with every entry delivered and acknowledged; a
    stream that does not exist is drained. (XINFO's 'lag' is only an estimate once the stream has been trimmed, so
    compare ids instead.)"""
    info = redis_cli("XINFO", "STREAM", stream).split("\n")
    if "last-generated-id" not in info:
        return True
    last = info[info.index("last-generated-id") + 1]
    info = redis_cli("XINFO", "GROUPS", stream).split("\n")
    groups = {}
    for i, word in enumerate(info):
        if word == "name":
            name = info[i + 1]
            groups[name] = {}
        elif word in ("pending", "last-delivered-id") and groups:
            groups[name][word] = info[i + 1]
    return len(groups) >= groups_wanted and all(g.get("pending") == "0" and g.get("last-delivered-id") == last
                                                for g in groups.values())


def wait_drained(timeout=300):
    start = time.monotonic()
    while not drained():
        if time.monotonic() - start > timeout:
            return None
        time.sleep(0.2)
    return time.monotonic() - start


def start_drained():
    """Where each phase starts (and each warm-up ends): drained (wait_drained), and the streams trimmed of what both
    subscribers acknowledged, by one pass of the product's trimmer (scripts/trim-streams.sh): the stack's own is held
    off (Stack), because each phase's figures are taken from its stream entries after it. Between phases, the
    broker's data (and so its append-only file's rewrites) stays the size of a phase's backlog, as the product's
    trimmer keeps it, not the whole run's."""
    wait_drained()
    env = dict(os.environ, REDIS_HOST=f"127.0.0.1:{REDIS_PORT}", TRIM_GROUPS=",".join(SUBSCRIBERS))
    subprocess.run(["sh", str(ROOT / "scripts/trim-streams.sh"), "--once"], env=env, check=True,
                   stdout=subprocess.DEVNULL)


def drain_sampled(pids, resources):
    """wait_drained(), sampled: what the subscribers, their daprds and Redis do with the backlog a phase left belongs
    to that phase, so its CPU (cpu_s, and so the CPU per event) and its peak RSS include the drain. cpu_pct stays the
    load window's own. Before round 29 the sampling stopped with the load, and missed seconds of the subscribers'
    work after a saturation."""
    sampler = Sampler(pids)
    drain_s = wait_drained()
    tail = sampler.stop()
    for name, used in resources.items():
        used["cpu_s"] += tail[name]["cpu_s"]
        used["rss_mib"] = max(used["rss_mib"], tail[name]["rss_mib"])
    return drain_s


def harness_arguments(rounds):
    """The arguments shared by the harnesses that each start one warm stack (drain.py, publish_path.py); the caller
    adds its own, parses, and points ROOT at --root."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout whose stack to start")
    parser.add_argument("--label", default="", help="printed with each round")
    parser.add_argument("--warmup", type=int, default=150, help="seconds of saturation first, discarded")
    parser.add_argument("--rounds", type=int, default=rounds)
    return parser


@contextlib.contextmanager
def warm_stack(java_opts, warmup_s, root=None):
    """The stack of root's build (ROOT's by default), saturated for warmup_s s and drained: where the one-question
    harnesses (bench/drain.py, bench/publish_path.py, bench/fanout_floor.py) start. Yields the runner and the pids
    by name (processes())."""
    stack = Stack(java_opts, root)
    try:
        stack.wait_ready()  # inside: a stack that never got ready is stopped too
        pids = processes(stack.process.pid)
        discard(wrk(FACADE, warmup_s))
        start_drained()
        yield stack, pids
    finally:
        stack.stop()


@contextlib.contextmanager
def subscribers_stopped(pids):
    """Both subscribers, JVM and daprd, frozen (SIGSTOP) for the block, and resumed however it ends."""
    frozen = [pids[f"{app} ({kind})"] for app in SUBSCRIBERS for kind in ("JVM", "daprd")]
    for pid in frozen:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in frozen:
            os.kill(pid, signal.SIGCONT)


def fanout_latency(app):
    with urllib.request.urlopen(f"http://127.0.0.1:{SUBSCRIBERS[app]}/actuator/fanoutlatency", timeout=5) as r:
        return json.load(r)


# daprd times its component calls in whole milliseconds, cut down (ElapsedSince), and leaves those that took 0 of
# them out of the latency histogram; its count of calls has them all. (Rounds 15 and 16 read the histogram alone.)
COMPONENT_LATENCY = "dapr_component_state_latencies"
COMPONENT_COUNT = "dapr_component_state_count"

# Each daprd's metricsPort (dapr.yaml), and the latency histograms of the stages an event passes through there.
DAPRD_METRICS = {"api-facade": 9090, "email-notification-service": 9091, "push-notification-service": 9092}
STAGES = [
    ("api-facade", "bulk publish call (facade → its daprd → Redis)", "dapr_grpc_io_server_server_latency",
     "BulkPublishEventAlpha1"),
    ("email-notification-service", "delivery to email (its daprd → app, handling included)",
     "dapr_http_client_roundtrip_latency", 'path="/followerAdded"'),
    ("email-notification-service", "email's state transactions (its daprd → Redis)", COMPONENT_LATENCY,
     'operation="transaction"'),
    ("push-notification-service", "delivery to push (its daprd → app, handling included)",
     "dapr_http_client_roundtrip_latency", 'path="/followerAdded"'),
    ("push-notification-service", "push's state transactions (its daprd → Redis)", COMPONENT_LATENCY,
     'operation="transaction"'),
]


def stage_buckets():
    """Per stage, the cumulative counts of its latency histogram by upper bound (ms, exclusive: OpenCensus's buckets),
    summed over its series; for component calls, with the unrecorded ones, which took less than 1 ms."""
    found = {}
    for app, stage, metric, selector in STAGES:
        text = urllib.request.urlopen(f"http://127.0.0.1:{DAPRD_METRICS[app]}/metrics", timeout=5).read().decode()
        buckets = found.setdefault(stage, {})
        calls = 0.0
        for line in text.splitlines():
            if line.startswith(metric + "_bucket{") and selector in line:
                bound = re.search(r'le="([^"]+)"', line).group(1)
                upper = float("inf") if bound == "+Inf" else float(bound)
                buckets[upper] = buckets.get(upper, 0) + float(line.rsplit(" ", 1)[1])
            elif metric == COMPONENT_LATENCY and line.startswith(COMPONENT_COUNT + "{") and selector in line:
                calls += float(line.rsplit(" ", 1)[1])
        if metric == COMPONENT_LATENCY:
            under_1ms = calls - buckets.get(float("inf"), 0)
            found[stage] = {upper: count + under_1ms for upper, count in buckets.items()}
    return found


def stage_percentiles(before, after):
    """Per stage, (count, p50, p90, p99) of what it observed between two stage_buckets() readings. daprd's buckets
    are coarse (…, 8, 10, 13, 16, 20, 25, 30, 40, 50, 65, 80, 100 ms, …): a percentile is the bucket's upper bound."""
    result = {}
    for stage, buckets in after.items():
        counts = sorted((upper, count - before.get(stage, {}).get(upper, 0)) for upper, count in buckets.items())
        total = counts[-1][1] if counts else 0
        result[stage] = (int(total), *(next(upper for upper, count in counts if count >= q * total) if total else None
                                       for q in (0.5, 0.9, 0.99)))
    return result


def last_stream_id():
    """The id of the newest entry of the followerAdded stream, "-" when there is none."""
    newest = json.loads(redis_cli("--json", "XREVRANGE", "followerAdded", "+", "-", "COUNT", "1") or "[]")
    return newest[0][0] if newest else "-"


def stream_entries(after_id):
    """Each event added to the stream after that entry: its id → (acceptance, arrival in the broker), epoch ms. The
    acceptance is the facade's stamp (followedAt, in the event), the arrival the entry's id, which is Redis's clock
    in ms when daprd added it (XADD)."""
    start = "-" if after_id == "-" else "(" + after_id
    entries = {}
    for entry_id, fields in json.loads(redis_cli("--json", "XRANGE", "followerAdded", start, "+") or "[]"):
        event = json.loads(dict(zip(fields[::2], fields[1::2]))["data"])
        entries[event["id"]] = (accepted_ms(event["data"]["followedAt"]), int(entry_id.split("-")[0]))
    return entries


# "email-notification-service-1  | 21:24:03.512 INFO  … followerAdded id=<event id> trace=…" (the runner's prefix)
ARRIVAL = re.compile(r"(\S+)-\d+\s+\|\s+(\d\d):(\d\d):(\d\d)\.(\d\d\d) INFO .*followerAdded id=(\S+) ")


def arrivals(lines, entries):
    """Per subscriber, each event's arrival in epoch ms, from its log lines: the time of day is placed on the day
    of the event's arrival in the broker, so that a phase across midnight reads right."""
    found = {app: {} for app in SUBSCRIBERS}
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


EFFECT = re.compile(r"(\S+)-\d+\s+\|.*\b(?:LoggingMailSender\b.*\(event |LoggingPushGateway\b.* event=)([0-9a-f-]{36})")


def effects(stack, mark, event_ids, settle_s=5):
    """Per subscriber, how many effects each of these events had, from the services' own lines (the mail logged,
    the push logged) after the mark: an event without one is lost, one with two had its effect twice. Counted by
    event id, not as a total against wrk's 202s, which leave out the requests in flight when wrk stopped (hundreds
    at a paced rate) and would hide as many losses. The lines trail the drain a little: read again for up to
    settle_s while any event has none."""
    wanted = set(event_ids)
    deadline = time.monotonic() + settle_s
    while True:
        found = {app: collections.Counter() for app in SUBSCRIBERS}
        for line in stack.lines[mark:]:
            m = EFFECT.match(line)
            if m and m.group(1) in found and m.group(2) in wanted:
                found[m.group(1)][m.group(2)] += 1
        if all(len(counts) == len(wanted) for counts in found.values()) or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


def event_hops(stack, mark, newest):
    """Each event of a phase (those added to the stream after the entry newest, their log lines after the mark), in
    ms: acceptance → broker, and per subscriber acceptance → arrival and broker → arrival."""
    entries = stream_entries(newest)
    found = arrivals(stack.lines[mark:], entries)
    return {"events": len(entries), "event_ids": list(entries),
            "to_broker": [broker - accepted for accepted, broker in entries.values()],
            "to_app": {app: [at - entries[event][0] for event, at in got.items()] for app, got in found.items()},
            "broker_to_app": {app: [at - entries[event][1] for event, at in got.items()] for app, got in found.items()}}


def machine_busy():
    """(busy, total) clock ticks of the whole machine so far: the load tool and everything else count too."""
    ticks = [int(t) for t in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(ticks) - ticks[3] - ticks[4], sum(ticks)


def machine_cpu_pct(before):
    """The whole machine's CPU since the reading before, in % of one core (200 % is both cores busy)."""
    after = machine_busy()
    return 100 * os.cpu_count() * (after[0] - before[0]) / (after[1] - before[1])


NOOP_SUBSCRIBER = Path(__file__).resolve().parent / "fanout-floor/NoopSubscriber.java"


def floor_root(root):
    """A checkout whose subscriber jars are the fan-out floor's (NOOP_SUBSCRIBER): every entry of root linked, the
    subscribers' directories holding the floor's jar under their own jar names (the runner starts what dapr.yaml
    names)."""
    work = root / "bench/results/fanout-floor"
    shutil.rmtree(work, ignore_errors=True)
    classes = work / "classes"
    subprocess.run(["javac", "-d", str(classes), str(NOOP_SUBSCRIBER)], check=True)
    jar = work / "noop-subscriber.jar"
    subprocess.run(["jar", "--create", "--file", str(jar), "--main-class", "NoopSubscriber", "-C", str(classes), "."],
                   check=True)
    shadow = work / "root"
    shadow.mkdir()
    for entry in root.iterdir():
        if entry.name not in SUBSCRIBERS:
            (shadow / entry.name).symlink_to(entry)
    for app in SUBSCRIBERS:
        (shadow / app / "target").mkdir(parents=True)
        (shadow / app / "target" / f"{app}.jar").symlink_to(jar)
    return shadow


def arrival_phase(stack, pids, rate, seconds, direct_token=None):
    """One paced phase from a drained system, timed event by event (event_hops), with the whole machine's CPU and
    each process's (pids, as processes() names them): the measure of the fan-out that works for any subscriber, the
    floor's too. With the facade daprd's token, the load goes straight to that daprd's publish API instead of the
    facade: then only the broker → app hop means anything (the events' followedAt is wrk's, to the second)."""
    start_drained()
    mark, newest, before = stack.mark(), last_stream_id(), machine_busy()
    sampler = Sampler(pids)
    run = paced(rate, seconds, direct_token)
    run["machine_cpu_pct"] = machine_cpu_pct(before)
    run["resources"] = sampler.stop()
    drain_sampled(pids, run["resources"])
    run.update(event_hops(stack, mark, newest))
    return run


def floor_phase(java_opts, warmup_s, rate, seconds):
    """The fan-out's floor (BENCHMARKS.md, round 18): the stack of ROOT's build with both subscribers replaced by
    NOOP_SUBSCRIBER (the same bulk subscription, a log line per event on arrival, SUCCESS for every entry at once: no
    records, no effect, no framework), warmed as the product's stack is, then one arrival_phase. No subscriber can
    make the fan-out faster than this on the same machine."""
    stack = Stack(java_opts, floor_root(ROOT))
    try:
        stack.wait_ready()
        pids = processes(stack.process.pid)
        warm_up(pids, warmup_s)
        warm_paced(rate)
        return arrival_phase(stack, pids, rate, seconds)
    finally:
        stack.stop()


def accepted_ms(followed_at):
    """An event's followedAt (the facade's acceptance, ISO-8601 in UTC to the ns) in epoch ms."""
    # Python 3.11 reads at most microseconds: cut the facade's nanoseconds.
    seconds, _, fraction = followed_at.rstrip("Z").partition(".")
    return datetime.datetime.fromisoformat(f"{seconds}.{fraction[:6] or '0'}+00:00").timestamp() * 1000


def rewriting_s(run):
    """How long Redis was rewriting its append-only file during a sampled phase (Sampler)."""
    return run["resources"]["redis-server"]["aof_rewrite_s"]


def cpu_ms_per_event(run, names):
    """The CPU these processes spent in a phase, its drain included (drain_sampled), per event it stored (its
    stream entries; the 202s where they were not counted), in ms of one core."""
    return sum(run["resources"][n]["cpu_s"] for n in names) * 1000 / run.get("events", run["ok"])


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else None


def reset_latency():
    """Start a phase from a drained system, so that it counts only its own events."""
    start_drained()
    for app in SUBSCRIBERS:
        fanout_latency(app)


def redis_benchmark():
    command = ["redis-benchmark", "-p", REDIS_PORT, "-n", "200000", "-c", "50", "-q", "XADD", "bench:xadd", "*",
               "userId", "bench"]
    out = subprocess.run(command, capture_output=True, text=True).stdout
    redis_cli("DEL", "bench:xadd")
    rps = float(re.search(r"([\d.]+) requests per second", out).group(1))
    return {"command": " ".join(command), "raw": out.strip().splitlines()[-1], "rps": rps}


def machine_facts():
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), "?")
    mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0]
    daprd_dir = subprocess.run(["bash", str(ROOT / "scripts/daprd.sh")], capture_output=True, text=True).stdout.strip()
    daprd = subprocess.run([f"{daprd_dir}/daprd", "--version"], capture_output=True, text=True).stdout.strip()
    redis = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.split()[2]
    return (f"{os.cpu_count()} × {cpu}, {int(mem) // 1024} MiB, Linux {platform.release()}, {java}, "
            f"daprd {daprd}, Redis {redis.removeprefix('v=')}, wrk {subprocess.run(['wrk', '-v'], capture_output=True, text=True).stdout.split()[1]}")


WARM_STEP_S = 10

# The load whose figures are thrown away (warm-ups): its errors are counted all the same, since an error there is one
# the product made. Reported beside the measured phases' own.
DISCARDED = collections.Counter()


DISCARDED_ERRORS = []  # each discarded load that had errors: where, and what wrk saw


def discard(run):
    """Counts a discarded load's requests and errors into DISCARDED, and keeps what wrk said of the errors of a load
    that had any, so that the report can tell where they were; returns the run."""
    DISCARDED["requests"] += run["ok"] + run["errors"]
    DISCARDED["errors"] += run["errors"]
    if run["errors"]:
        statuses = {status: n for status, n in run["statuses"].items() if not status.startswith("2")}
        sockets = next((line.strip() for line in run["raw"].splitlines() if line.strip().startswith("Socket errors")),
                       "no socket errors")
        DISCARDED_ERRORS.append(f"{run['errors']} in `{run['command']}` at {time.strftime('%H:%M:%S', time.gmtime())} "
                                f"UTC (statuses {statuses or 'none'}; {sockets})")
    return run

GOAL_RATE = 1000  # the fan-out goal's rate (BENCHMARKS.md): the floor is measured at it
SETTLED_JIT_SHARE = 0.03


def warm_up(pids, limit_s):
    """Saturates the facade in steps until, during the last step, no app JVM's compiler threads used more than 3 %
    of a core, or until limit_s. On these two shared cores the JIT needs minutes of load: with a fixed 120 s warm-up
    the facade still compiled through the 20 s phase measured next (BENCHMARKS.md, round 6). The threshold is in
    CPU: HotSpot's own compile-time counter is wall time, 2-7 times more on busy cores (round 9), and 3 % of a core
    in CPU is about what the 10 % of wall time used before meant. Returns the seconds spent and each JVM's compiler
    CPU share (cores) in the last step; None where unreadable."""
    jvms = {name: pids[name] for name in APP_JVMS}
    start = time.monotonic()
    while True:
        before = {name: compiler_cpu_seconds(pid) for name, pid in jvms.items()}
        discard(wrk(FACADE, WARM_STEP_S))
        share = {}
        for name, pid in jvms.items():
            after = compiler_cpu_seconds(pid)
            share[name] = None if after is None or before[name] is None else (after - before[name]) / WARM_STEP_S
        elapsed = time.monotonic() - start
        settled = all(value is not None and value < SETTLED_JIT_SHARE for value in share.values())
        if settled or elapsed >= limit_s:
            return elapsed, share


def warm_paced(rate, direct_token=None):
    """WARM_STEP_S s at the paced rate, discarded, then drained: hundreds of paced connections are a shape of load the
    saturation warm-up (32 connections) does not compile for. Without it the facade's JIT compiled through the
    1000/s phase (0.9-1.6 s of compiler CPU in it), and the first 1000/s phase after a saturation warm-up had the
    worst p99 of three in every stack (BENCHMARKS.md, round 16)."""
    discard(paced(rate, WARM_STEP_S, direct_token))
    start_drained()


def paced(rate, seconds, direct_token=None):
    """wrk at a paced rate: through the facade, or with the facade daprd's token straight to its publish API."""
    if direct_token:
        return wrk(DAPRD_PUBLISH, seconds, rate=rate, body="data", token=direct_token,
                   connections=paced_connections(rate))
    return wrk(FACADE, seconds, rate=rate, connections=paced_connections(rate))


def direct_phase(pids, duration, token, connections=CONNECTIONS):
    """The ceiling: the same load tool publishing straight to the facade's daprd, then drained."""
    start_drained()
    sampler = Sampler(pids)
    run = wrk(DAPRD_PUBLISH, duration, body="data", token=token, connections=connections)
    run["resources"] = sampler.stop()
    run["drain_s"] = drain_sampled(pids, run["resources"])
    return run


def saturation_pairs(stack, pids, duration, token, count, connections=CONNECTIONS):
    """count pairs of (direct, facade) saturation phases, the order alternating from pair to pair, so that neither
    term always runs first (after the warm-up, or after the other's backlog). One pair is not enough: over four
    single-pair runs of one build the ratio spanned 0.49-0.80 (BENCHMARKS.md, round 11). Each phase starts drained
    and right after a rewrite of Redis's append-only file: a rewrite inside one term of a pair and not the other
    moved the ratio by up to half (rounds 19-21). The paced phases are left to run into rewrites, as the product
    does (and report them): they measure its latency as it runs, not a comparison."""
    pairs = []
    for i in range(count):
        pair = {"order": ("direct", "facade") if i % 2 == 0 else ("facade", "direct"), "rewrite_s": {}}
        for what in pair["order"]:
            start_drained()
            pair["rewrite_s"][what] = rewrite_aof()
            pair[what] = direct_phase(pids, duration, token, connections) if what == "direct" else \
                facade_phase(stack, pids, duration, connections=connections)
        pair["ratio"] = pair["facade"]["rps"] / pair["direct"]["rps"]
        pairs.append(pair)
    return pairs


def median_pair(pairs):
    """The pair with the median ratio (--pairs is odd, so there is one)."""
    return sorted(pairs, key=lambda p: p["ratio"])[len(pairs) // 2]


def facade_phase(stack, pids, duration, rate=0, connections=CONNECTIONS):
    """One measured phase of load on the facade, from a drained system: wrk's figures, every process's resources,
    then, once drained, the fan-out latency, the bulk deliveries of this phase's events and the latencies of the
    stages the events passed through inside the daprds."""
    reset_latency()
    mark = stack.mark()
    newest = last_stream_id()
    stages = stage_buckets()
    sampler = Sampler(pids)
    busy = machine_busy()
    run = wrk(FACADE, duration, rate=rate, connections=paced_connections(rate) if rate else connections)
    run["resources"] = sampler.stop()
    run["machine_cpu_pct"] = machine_cpu_pct(busy)
    run["drain_s"] = drain_sampled(pids, run["resources"])
    run["stages"] = stage_percentiles(stages, stage_buckets())
    run["fanout"] = {app: fanout_latency(app) for app in SUBSCRIBERS}
    run["deliveries"] = stack.deliveries(mark)
    run.update(event_hops(stack, mark, newest))
    run["effects"] = effects(stack, mark, run["event_ids"])
    return run


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=20, help="seconds per measured phase")
    parser.add_argument("--warmup", type=int, default=300,
                        help="at most this many seconds of saturation before measuring, discarded: it ends sooner "
                             "once the JIT compilers of the apps have settled (see warm_up)")
    parser.add_argument("--pairs", type=int, default=3,
                        help="pairs of saturation phases (direct to daprd, facade) for the ratio, in alternating "
                             "order; odd, so that one pair is the median")
    parser.add_argument("--connections", default=f"{CONNECTIONS},128",
                        help="wrk's connections in the saturation pairs, one level or several (comma-separated), each "
                             "with its own --pairs; the first level's median pair is the one the detailed tables show")
    parser.add_argument("--java-opts", default=None, help="JAVA_OPTS for the three apps (default: dapr.yaml's)")
    args = parser.parse_args()
    if args.pairs < 1 or args.pairs % 2 == 0:
        parser.error("--pairs must be odd and at least 1")
    try:
        levels = [int(level) for level in args.connections.split(",")]
    except ValueError:
        parser.error(f"--connections takes whole numbers separated by commas, not {args.connections!r}")
    if not levels or min(levels) < 1 or len(set(levels)) != len(levels):
        parser.error(f"--connections takes distinct levels of at least 1, not {args.connections!r}")
    d = args.duration
    command = f"scripts/bench.sh --duration {d} --warmup {args.warmup} --pairs {args.pairs}" + (
        f" --connections {args.connections}" if levels != [CONNECTIONS, 128] else "") + (
        f" --java-opts '{args.java_opts}'" if args.java_opts is not None else "")
    report = [f"# Benchmark run {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC", "",
              f"Machine: {machine_facts()}", f"Command: `{command}`", ""]

    stack = Stack(args.java_opts)
    try:
        stack.wait_ready()
        pids = processes(stack.process.pid)
        log_collections(pids)
        startup = stack.startup_seconds()
        stack_ready_s = stack.ready_seconds()
        idle = Sampler(pids)
        time.sleep(10)
        at_rest = idle.stop()
        token = facade_token()

        print(f"bench: warming up until the JIT settles, at most {args.warmup} s (discarded)", file=sys.stderr)
        warmed_s, jit_share = warm_up(pids, args.warmup)
        discard(wrk(DAPRD_PUBLISH, 5, body="data", token=token))
        start_drained()  # the subscribers' backlog: their hot path, warmed the same way

        print("bench: the broker's ceiling", file=sys.stderr)
        xadd = redis_benchmark()
        by_level = {}
        for level in levels:
            print(f"bench: {args.pairs} pairs of saturation phases at {level} connections, direct to daprd and "
                  f"through the facade", file=sys.stderr)
            by_level[level] = saturation_pairs(stack, pids, d, token, args.pairs, level)
        pairs = by_level[levels[0]]
        # The tables below show the pair with the median ratio; the table of pairs shows them all.
        median = median_pair(pairs)
        direct, saturation = median["direct"], median["facade"]
        under_load = saturation["resources"]
        fixed = {}
        for rate in (100, GOAL_RATE):
            print(f"bench: facade at {rate} events/s", file=sys.stderr)
            warm_paced(rate)
            fixed[rate] = facade_phase(stack, pids, d, rate)
    finally:
        stack.stop()
    print(f"bench: the fan-out's floor at {GOAL_RATE}/s: the same stack with subscribers that do nothing",
          file=sys.stderr)
    floor = floor_phase(args.java_opts, args.warmup, GOAL_RATE, d)

    def lost(run):
        # By event id (effects()): the phase's stream entries without the subscriber's effect.
        return {app: run["events"] - len(run["effects"][app]) for app in SUBSCRIBERS}

    facade_runs = [(f"saturation at {level} conns, pair {i}", p["facade"])
                   for level, level_pairs in by_level.items() for i, p in enumerate(level_pairs, 1)] + [
        (f"{rate}/s", run) for rate, run in fixed.items()]
    repeated = {name: {app: sum(1 for n in run["effects"][app].values() if n > 1) for app in SUBSCRIBERS}
                for name, run in facade_runs}
    unstored = {name: max(0, run["ok"] - run["events"]) for name, run in facade_runs}

    shares = ", ".join(f"{name.split(' ')[0]} {'?' if v is None else f'{100 * v:.0f} %'}" for name, v in jit_share.items())
    report += [f"Warm-up: {warmed_s:.0f} s at saturation (limit {args.warmup} s); the apps' JIT compilers in its last "
               f"{WARM_STEP_S} s, CPU share of a core: {shares}. Errors in all the load whose figures were discarded "
               f"(the warm-ups of both stacks): {DISCARDED['errors']} of {DISCARDED['requests']} requests"
               + ("." if not DISCARDED_ERRORS else ": " + "; ".join(DISCARDED_ERRORS) + "."), ""]
    report += ["## Throughput (202s per second) and latency, same load tool, same run", "",
               "| target | requests/s | p50 ms | p90 ms | p99 ms | errors | ratio to direct daprd |",
               "| --- | --- | --- | --- | --- | --- | --- |",
               f"| redis-benchmark XADD (50 clients) | {xadd['rps']:.0f} | | | | | {xadd['rps'] / direct['rps']:.2f} |",
               f"| wrk → daprd HTTP publish ({levels[0]} conns) | {direct['rps']:.0f} | {direct['p50_ms']:.2f} | {direct['p90_ms']:.2f} | {direct['p99_ms']:.2f} | {direct['errors']} | 1.00 |",
               f"| wrk → facade POST /followers ({levels[0]} conns) | {saturation['rps']:.0f} | {saturation['p50_ms']:.2f} | {saturation['p90_ms']:.2f} | {saturation['p99_ms']:.2f} | {saturation['errors']} | **{saturation['rps'] / direct['rps']:.2f}** |"]
    for rate, run in fixed.items():
        # wrk's pacing waits for each answer (closed loop): where the rate is not reached, the latencies are those of
        # the rate reached, and the requests that would have queued were never sent.
        reached = "" if run["rps"] >= 0.95 * rate else f" (not reached: the latencies are at {run['rps']:.0f}/s)"
        report.append(f"| facade paced at {rate}/s ({paced_connections(rate)} conns){reached} | {run['rps']:.0f} | {run['p50_ms']:.2f} | {run['p90_ms']:.2f} | {run['p99_ms']:.2f} | {run['errors']} | |")
    report += ["", f"Saturation rows: at {levels[0]} connections, the pair with the median ratio, of {len(pairs)} (below)."]
    report += ["", f"## The facade/direct ratio at each concurrency: {len(pairs)} pair{'s' if len(pairs) > 1 else ''} of {d} s saturation phases, "
               f"alternating order", "",
               "wrk keeps each level's connections busy in both terms (constant concurrency). The facade sends the events "
               "of the requests it has in flight together, in bulk publishes; daprd's HTTP publish takes one event per "
               "request. Medians over the level's pairs; the p99s are the median pair's.", "",
               "| connections | wrk → daprd (req/s) | wrk → facade (req/s) | **ratio**, median (spread) | p99 ms, direct / facade "
               "| events per bulk publish (facade) |", "| --- | --- | --- | --- | --- | --- |"]
    for level, level_pairs in by_level.items():
        ratios = [p["ratio"] for p in level_pairs]
        middle = median_pair(level_pairs)
        calls = [(p["facade"]["events"], p["facade"]["stages"][STAGES[0][1]][0]) for p in level_pairs]
        per_call = [events / count for events, count in calls if count]
        report.append(f"| {level} | {statistics.median(p['direct']['rps'] for p in level_pairs):.0f} | "
                      f"{statistics.median(p['facade']['rps'] for p in level_pairs):.0f} | "
                      f"**{statistics.median(ratios):.2f}** ({min(ratios):.2f}–{max(ratios):.2f}) | "
                      f"{middle['direct']['p99_ms']:.1f} / {middle['facade']['p99_ms']:.1f} | "
                      + (f"{statistics.median(per_call):.1f} |" if per_call else "– |"))
    if len(by_level) > 1:
        def best(what):
            return max(((statistics.median(p[what]["rps"] for p in level_pairs), level)
                        for level, level_pairs in by_level.items()))
        (facade_best, facade_at), (direct_best, direct_at) = best("facade"), best("direct")
        report += ["", f"Each at its best level of these: the facade {facade_best:.0f} req/s (at {facade_at} connections), "
                   f"daprd straight {direct_best:.0f} req/s (at {direct_at}): **{facade_best / direct_best:.2f}**."]
    for level, level_pairs in by_level.items():
        ratios = [p["ratio"] for p in level_pairs]
        report += ["", f"### {level} connections", "",
                   f"Median **{statistics.median(ratios):.2f}**, spread {min(ratios):.2f}–{max(ratios):.2f}. The last column: "
                   f"how long Redis was rewriting its append-only file in either phase (a forked child, a core for seconds), "
                   f"which each phase starts right after a rewrite to avoid, and how long that rewrite took.", "",
                   "| pair | order | wrk → daprd (req/s) | wrk → facade (req/s) | ratio | facade errors | lost (email / push) "
                   "| Redis rewriting its AOF (s), direct / facade | the rewrite before each (s), direct / facade |",
                   "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for i, p in enumerate(level_pairs, 1):
            lost_here = " / ".join(str(v) for v in lost(p["facade"]).values())
            report.append(f"| {i} | {' then '.join(p['order'])} | {p['direct']['rps']:.0f} | {p['facade']['rps']:.0f} | "
                          f"{p['ratio']:.2f} | {p['facade']['errors']} | {lost_here} | "
                          f"{rewriting_s(p['direct']):.1f} / {rewriting_s(p['facade']):.1f} | "
                          f"{p['rewrite_s']['direct']:.1f} / {p['rewrite_s']['facade']:.1f} |")

    loads = [("saturation", saturation)] + [(f"{r}/s", fixed[r]) for r in fixed]  # the phases through the facade
    report += ["", "## Fan-out latency: facade acceptance → subscriber effect (ms)", "",
               "| load | subscriber | events | p50 | p90 | p99 | max | lost | drain after load (s) | deliveries | events per delivery |",
               "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name, run in loads:
        for app in SUBSCRIBERS:
            f, b = run["fanout"][app], run["deliveries"][app]
            report.append(f"| {name} | {app} | {f['count']} | {f['p50Ms']:.1f} | {f['p90Ms']:.1f} | {f['p99Ms']:.1f} | {f['maxMs']:.1f} | {lost(run)[app]} | {run['drain_s']:.1f} | {b['calls']} | {b['mean']:.1f} |")

    def nonzero(counts):
        found = {name: n for name, n in counts.items() if n}
        return "none" if not found else ", ".join(f"{name}: {n}" for name, n in found.items())

    report += ["", "Lost: the phase's stream entries, by event id, without the subscriber's effect line (a mail or a push "
               f"logged). 202s beyond a phase's stream entries (accepted, nothing stored): {nonzero(unstored)}. Events "
               f"with more than one effect, both subscribers: {nonzero({n: sum(r.values()) for n, r in repeated.items()})}."]

    report += ["", "## The fan-out hop by hop: when each event reached each point, counted from the facade's acceptance (ms)",
               "", "In the broker: the stream entry's id (Redis's clock, to the ms, when the facade's daprd added it). "
               "At an app: when the delivery carrying the event arrived (the subscriber's own record). Effect: as above.",
               "", "| load | point | events | p50 | p90 | p99 |", "| --- | --- | --- | --- | --- | --- |"]
    for name, run in loads:
        broker = run["to_broker"]
        report.append(f"| {name} | in the broker | {len(broker)} | " +
                      " | ".join("–" if not broker else f"{percentile(broker, q):.1f}" for q in (0.5, 0.9, 0.99)) + " |")
        for app in SUBSCRIBERS:
            short = app.split("-")[0]
            for point, f in ((f"at {short}'s app", run["fanout"][app]["receipt"]), (f"{short}'s effect", run["fanout"][app])):
                report.append(f"| {name} | {point} | {f['count']} | {f['p50Ms']:.1f} | {f['p90Ms']:.1f} | {f['p99Ms']:.1f} |")

    product = fixed[GOAL_RATE]

    def arrived(run, app):
        times = run["to_app"][app]
        return f"{percentile(times, 0.5):.1f} / {percentile(times, 0.99):.1f} ({len(times)})" if times else "– (0)"

    report += ["", f"## The fan-out against its floor at {GOAL_RATE}/s (ms from the facade's acceptance)", "",
               f"The floor: after this stack, the same one with both subscribers replaced by one that does nothing "
               f"(bench/fanout-floor/NoopSubscriber.java: the same bulk subscription, a log line per event on arrival, "
               f"SUCCESS at once), warmed the same way, one phase of {d} s. No subscriber can make the fan-out faster on "
               f"this machine. Both stacks timed alike, event by event: the broker from the stream entry's id, the "
               f"arrival from the subscriber's log line of the event (to the ms); the effect from the product's own "
               f"record (above). Machine CPU: the whole machine, the load tool included (200 % = both cores). AOF rewrite: "
               f"how much of the phase Redis spent rewriting its append-only file, in a forked child that takes a core "
               f"(the product's state records make its data, and so each rewrite, larger).", "",
               "| stack | rate reached | errors | machine CPU | AOF rewrite (s) | events | in the broker p50 / p99 | " +
               " | ".join(f"at {app.split('-')[0]}'s app p50 / p99 (events)" for app in SUBSCRIBERS) +
               " | effect p99, " + " / ".join(app.split("-")[0] for app in SUBSCRIBERS) + " |",
               "| --- " * (7 + len(SUBSCRIBERS)) + "| --- |"]
    for name, run in (("the product", product), ("the floor", floor)):
        effect = " / ".join(f"{run['fanout'][app]['p99Ms']:.1f}" for app in SUBSCRIBERS) if "fanout" in run else "–"
        report.append(f"| {name} | {run['rps']:.0f}/s | {run['errors']} | {run['machine_cpu_pct']:.0f} % | "
                      f"{rewriting_s(run):.1f} | "
                      f"{run['events']} | {percentile(run['to_broker'], 0.5):.1f} / {percentile(run['to_broker'], 0.99):.1f} | "
                      + " | ".join(arrived(run, app) for app in SUBSCRIBERS) + f" | {effect} |")
    ratios_to_floor = ", ".join(
        f"{app.split('-')[0]} **×{percentile(product['to_app'][app], 0.99) / percentile(floor['to_app'][app], 0.99):.2f}**"
        if product["to_app"][app] and floor["to_app"][app] else f"{app.split('-')[0]} –" for app in SUBSCRIBERS)
    report += ["", f"p99 of the arrival, the product against the floor: {ratios_to_floor}.", "",
               "What the product's subscribers cost beyond the floor, process by process: CPU per event stored, the drain included "
               "(ms of one core) in the same two phases. Where the difference is, is what the subscribers can still "
               "win.", "", "| process | the product | the floor | difference |", "| --- | --- | --- | --- |"]
    for name in list(pids) + ["every process"]:
        names = list(pids) if name == "every process" else [name]
        mine, least = cpu_ms_per_event(product, names), cpu_ms_per_event(floor, names)
        report.append(f"| {name} | {mine:.3f} | {least:.3f} | {mine - least:+.3f} |")

    report += ["", "## Where the fan-out time goes: each stage's latency inside the daprds (ms, daprd's own histograms)", "",
               "Each stage's percentiles alone, at the resolution of daprd's buckets; the fan-out above is acceptance → effect.", "",
               "| load | stage | observations | p50 | p90 | p99 |", "| --- | --- | --- | --- | --- | --- |"]
    for name, run in loads:
        for stage, (count, *quantiles) in run["stages"].items():
            report.append(f"| {name} | {stage} | {count} | " + " | ".join("–" if q is None else f"{q:g}" for q in quantiles) + " |")

    report += ["", "## Processes: CPU (% of one core) and resident memory (MiB)", "",
               f"Start-up: from the JVM's start to Spring's 'Started' line (before the app reports ready, which also "
               f"waits for its daprd); the whole stack, every pair ready and subscribed: {stack_ready_s} s. At rest: the "
               f"10 s after start-up. Peak RSS and the CPU per event include the drain after each phase's load (since "
               f"round 29); the CPU shares are the load's own.", "",
               "| process | start-up (s) | at rest CPU | at rest RSS | direct publish CPU | saturation CPU | saturation peak RSS | 1000/s CPU | 1000/s peak RSS |",
               "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name in pids:
        app = name.split(" ")[0]
        up = f"{startup[app]:.1f}" if name.endswith("(JVM)") and app in startup else ""
        r, s, f = at_rest[name], under_load[name], fixed[1000]["resources"][name]
        dp = direct["resources"][name]
        report.append(f"| {name} | {up} | {r['cpu_pct']:.1f} | {r['rss_mib']:.0f} | {dp['cpu_pct']:.1f} | {s['cpu_pct']:.1f} | {s['rss_mib']:.0f} | {f['cpu_pct']:.1f} | {f['rss_mib']:.0f} |")
    report += ["", "Redis's CPU includes the children it forks to rewrite its append-only file; it was rewriting for "
               f"{rewriting_s(direct):.1f} s of the direct-publish phase, {rewriting_s(saturation):.1f} s of "
               f"saturation and {rewriting_s(fixed[GOAL_RATE]):.1f} s of the {GOAL_RATE}/s phase (of {d} s each)."]

    facade_path = ["api-facade (JVM)", "api-facade (daprd)"]
    report += ["", "## CPU per event (ms of one core, per event stored; the drain included; the load tool's own CPU not counted)", "",
               "| phase | publish path (facade JVM + its daprd; direct: its daprd) | every process above |",
               "| --- | --- | --- |"]
    for name, run, path in [("wrk → daprd HTTP publish", direct, facade_path[1:]),
                            ("facade at saturation", saturation, facade_path),
                            ("facade paced at 100/s", fixed[100], facade_path),
                            ("facade paced at 1000/s", fixed[1000], facade_path)]:
        report.append(f"| {name} | {cpu_ms_per_event(run, path):.2f} | {cpu_ms_per_event(run, list(pids)):.2f} |")

    report += ["", f"## Garbage collection during each {d} s phase (collections / total pause ms / longest pause ms)",
               "", "| phase | " + " | ".join(APP_JVMS) + " |", "| --- |" + " --- |" * len(APP_JVMS)]
    phases = [("wrk → daprd HTTP publish", direct), ("facade at saturation", saturation),
              ("facade paced at 100/s", fixed[100]), ("facade paced at 1000/s", fixed[1000])]
    for name, run in phases:
        cells = [run["resources"][jvm]["gc"] for jvm in APP_JVMS]
        report.append(f"| {name} | " + " | ".join("–" if c is None else f"{c[0]} / {c[1]:.0f} / {c[2]:.1f}"
                                                   for c in cells) + " |")

    report += ["", f"## JIT compilers during each {d} s phase (s of compiler threads' CPU / s of wall time"
                   " that compilations took, HotSpot's java.ci.totalTime)", "",
               "| phase | " + " | ".join(APP_JVMS) + " |", "| --- |" + " --- |" * len(APP_JVMS)]
    for name, run in phases:
        cells = [run["resources"][jvm]["jit"] for jvm in APP_JVMS]
        report.append(f"| {name} | " + " | ".join(" / ".join("–" if v is None else f"{v:.1f}" for v in c)
                                                   for c in cells) + " |")

    report += ["", "## Raw output", ""]
    for name, run in [("redis-benchmark", xadd)] + \
            [(f"{level} conns, pair {i} {what}", p[what])
             for level, level_pairs in by_level.items() for i, p in enumerate(level_pairs, 1) for what in p["order"]] + \
            [(f"facade {r}/s", fixed[r]) for r in fixed]:
        report += [f"{name}: `{run['command']}`", "", "```", run["raw"], "```", ""]
    report += [f"the floor at {GOAL_RATE}/s: `{floor['command']}`", "", "```", floor["raw"], "```", ""]
    text = "\n".join(report)
    out = ROOT / "bench/results" / f"{datetime.datetime.now(datetime.timezone.utc):%Y%m%dT%H%M%SZ}.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(text + "\n")
    print(text)
    print(f"\nbench: written to {out.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
