package dev.fanout.runner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runner's supervision, on real processes: restart with backoff, a limit, a line saying why each time. */
class ManagedProcessTest {

  private final List<String> lines = new CopyOnWriteArrayList<>();
  private final LogSink log = (source, line) -> lines.add(source + " | " + line);

  @Test
  void restartsACrashingProcessWithBackoffThenGivesUpWithAReason() throws Exception {
    var policy = new RestartPolicy(Duration.ofMillis(50), Duration.ofMillis(200), 3, Duration.ofMinutes(1));
    var process = new ManagedProcess("crasher", List.of("bash", "-c", "echo up; exit 3"), Path.of("."), Map.of(),
        log, policy);

    process.start();

    await().atMost(Duration.ofSeconds(20)).until(process::gaveUp);
    // The first run and 3 restarts; each run's output is read by its own thread, so wait for the last one.
    await().atMost(Duration.ofSeconds(5))
        .until(() -> lines.stream().filter(line -> line.equals("crasher | up")).count() == 4);
    assertThat(lines).filteredOn(line -> line.contains("exited unexpectedly with status 3; restarting in"))
        .extracting(line -> line.replaceAll(".*restarting in (\\d+) ms.*", "$1"))
        .containsExactly("50", "100", "200");
    assertThat(lines).anyMatch(line -> line.startsWith("runner | crasher exited with status 3; giving up after 3"));
  }

  @Test
  void aRestartThatCannotEvenBeLaunchedIsRetriedThenGivenUpWithAReason(@TempDir Path dir) throws Exception {
    Path gone = Files.createDirectory(dir.resolve("workdir"));
    Path exit = dir.resolve("exit");
    var policy = new RestartPolicy(Duration.ofMillis(50), Duration.ofMillis(100), 2, Duration.ofMinutes(1));
    var process = new ManagedProcess("homeless", List.of("bash", "-c",
        "echo up; while [ ! -e \"$0\" ]; do sleep 0.05; done; exit 3", exit.toString()), gone, Map.of(), log, policy);
    process.start();
    await().atMost(Duration.ofSeconds(5)).until(() -> lines.contains("homeless | up"));

    Files.delete(gone); // every restart now fails to launch: its working directory is no more
    Files.createFile(exit);

    await().atMost(Duration.ofSeconds(20)).until(process::gaveUp);
    assertThat(lines).filteredOn(line -> line.startsWith("runner | cannot start homeless")).hasSize(2);
    assertThat(lines).anyMatch(line -> line.startsWith("runner | homeless exited with status 3; giving up after 2"));
  }

  @Test
  void aBurstOfLinesIsPassedOnWholeWhileItsProcessStillRuns() throws Exception {
    // Held back: the lines the sink was told have more behind them and that no later line of theirs released yet.
    var released = new CopyOnWriteArrayList<String>();
    var held = new CopyOnWriteArrayList<String>();
    var toldMore = new AtomicInteger();
    LogSink sink = new LogSink() {
      @Override
      public void line(String source, String line) {
        released.addAll(held);
        held.clear();
        released.add(line);
      }

      @Override
      public void lineFollowedByMore(String source, String line) {
        toldMore.incrementAndGet();
        held.add(line);
      }
    };
    var process = new ManagedProcess("chatty", List.of("bash", "-c", "seq 1 20000; exec sleep 60"), Path.of("."),
        Map.of(), sink, RestartPolicy.DEFAULT);
    try {
      process.start();

      await().atMost(Duration.ofSeconds(10)).until(() -> released.size() == 20000);
      assertThat(released).first().isEqualTo("1");
      assertThat(released).last().isEqualTo("20000");
      assertThat(held).isEmpty();
      assertThat(process.isAlive()).isTrue();
      // seq writes its output in blocks of many lines: all but the last of a block have more behind them.
      assertThat(toldMore.get()).isGreaterThan(10_000);
    } finally {
      process.stop(Duration.ofSeconds(5));
    }
  }

  @Test
  void aStopIsGracefulAndKeepsTheProcessesLastWords() throws Exception {
    // Last words longer than a pipe holds (64 KiB): once the process has exited, they are still being relayed.
    var process = new ManagedProcess("graceful", List.of("bash", "-c",
        "trap 'seq 1 20000; echo stopping cleanly; exit 0' TERM; echo up; sleep 30 & wait"),
        Path.of("."), Map.of(), log, RestartPolicy.DEFAULT);
    process.start();
    await().atMost(Duration.ofSeconds(10)).until(() -> lines.contains("graceful | up"));

    process.stop(Duration.ofSeconds(10));

    // No waiting here: the runner exits as soon as stop returns, so a line still being relayed then is lost.
    assertThat(process.isAlive()).isFalse();
    assertThat(lines).contains("graceful | stopping cleanly").noneMatch(line -> line.contains("restarting"));
  }

  @Test
  void aStopDuringARestartsBackoffThenAStartRunsOneCopy(@TempDir Path dir) throws Exception {
    // Each run appends a line; it crashes until the marker exists, then stays up.
    Path launches = dir.resolve("launches");
    var policy = new RestartPolicy(Duration.ofSeconds(1), Duration.ofSeconds(1), 3, Duration.ofMinutes(1));
    var process = new ManagedProcess("flaky", List.of("bash", "-c",
        "echo run >> launches; test -f marker || exit 3; exec sleep 60"), dir, Map.of(), log, policy);
    try {
      process.start();
      await().atMost(Duration.ofSeconds(10))
          .until(() -> lines.stream().anyMatch(line -> line.contains("restarting in 1000 ms")));

      Files.createFile(dir.resolve("marker"));
      process.stop(Duration.ofSeconds(5));
      process.start();

      // The first start's supervisor wakes from its backoff within 1 s; it must not launch a copy of its own.
      await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
          .until(() -> Files.readAllLines(launches).size() == 2);
      assertThat(process.isAlive()).isTrue();
    } finally {
      process.stop(Duration.ofSeconds(5));
    }
    assertThat(process.isAlive()).isFalse();
  }

  @Test
  void stopsTheProcessGracefullyWhenTheRunnerIsGone() {
    var process = startedGraceful("orphan");

    process.closeInput(); // what the kernel does to the process's input when the runner dies

    await().atMost(Duration.ofSeconds(10)).until(() -> !process.isAlive());
    await().atMost(Duration.ofSeconds(5)).until(() -> lines.contains("orphan | stopping cleanly"));
    process.stop(Duration.ofSeconds(5));
  }

  @Test
  void leavesNoWatcherBehindOnceTheProcessHasEnded() {
    var policy = new RestartPolicy(Duration.ofMillis(50), Duration.ofMillis(50), 0, Duration.ofMinutes(1));
    String marker = "done-" + UUID.randomUUID();
    var process = new ManagedProcess("brief", List.of("bash", "-c", "echo " + marker), Path.of("."), Map.of(), log,
        policy);

    process.start();

    await().atMost(Duration.ofSeconds(10)).until(process::gaveUp);
    // Anywhere on the machine: a watcher whose process ended is no longer ours, but init's.
    await().atMost(Duration.ofSeconds(5)).until(() -> ProcessHandle.allProcesses()
        .filter(other -> other.info().commandLine().orElse("").contains(marker))
        .map(other -> other.pid() + " (parent " + other.parent().map(ProcessHandle::pid).orElse(-1L) + ") "
            + other.info().commandLine().orElse(""))
        .toList(), List::isEmpty);
  }

  /** Up, and on SIGTERM says so and exits 0. */
  private ManagedProcess startedGraceful(String name) {
    var process = new ManagedProcess(name,
        List.of("bash", "-c", "trap 'echo stopping cleanly; exit 0' TERM; echo up; sleep 30 & wait"),
        Path.of("."), Map.of(), log, RestartPolicy.DEFAULT);
    process.start();
    await().atMost(Duration.ofSeconds(10)).until(() -> lines.contains(name + " | up"));
    return process;
  }

  @Test
  void backoffDoublesUpToItsCeiling() {
    var policy = new RestartPolicy(Duration.ofSeconds(1), Duration.ofSeconds(30), 5, Duration.ofMinutes(1));

    assertThat(List.of(1, 2, 3, 4, 5, 6, 7)).extracting(policy::backoff).extracting(Duration::toSeconds)
        .containsExactly(1L, 2L, 4L, 8L, 16L, 30L, 30L);
  }
}
