package dev.fanout.runner;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One supervised process: a service pair (scripts/entrypoint.sh), Redis or placement. Its output goes to the
 * {@link LogSink} under its name; when it exits without being asked to, it is restarted per {@link RestartPolicy},
 * with a line saying why. Each process gets a session of its own ({@code setsid}), so that a Ctrl-C in the
 * terminal reaches only the runner, which then stops everything in order; and each is stopped as by
 * {@link #stop} (SIGTERM) if the runner dies without doing so, killed outright (see {@link #GUARD}).
 */
public final class ManagedProcess {

  /**
   * Run by bash in front of each command. The runner holds the write end of the process's stdin, and the kernel
   * closes it when the runner dies, however it went (kill -9 too). A watcher forked before the exec reads that
   * pipe to its end, then sends SIGTERM, but only while the process is still its parent: once the process has
   * ended (its supervisor then closes the pipe, which the JDK does not: the watcher ends too), its pid may belong
   * to another. The process itself reads /dev/null. (The pipe goes by fd 3: bash gives a background job
   * /dev/null for its stdin.)
   */
  static final String GUARD = "exec 3<&0; ( cat <&3 >/dev/null; read -r _ _ _ parent _ </proc/$BASHPID/stat;"
      + " [ \"$parent\" = $$ ] && kill -TERM $$ ) & exec \"$@\" </dev/null 3<&-";

  private final String name;
  private final List<String> command;
  private final Path workingDir;
  private final Map<String, String> env;
  private final LogSink log;
  private final RestartPolicy policy;

  private volatile Process process;
  private volatile Thread pump; // the current process's output reader
  // Each start() and stop() begins a new generation; a supervisor acts only for the one it was started in. A
  // stop() followed at once by a start() (or a stop() during a restart's backoff) would otherwise let the old
  // supervisor see the new start as its own unasked exit and launch a second, untracked copy.
  private long generation;
  private volatile boolean gaveUp;
  private int restarts;
  private long startedAt;

  ManagedProcess(String name, List<String> command, Path workingDir, Map<String, String> env, LogSink log,
      RestartPolicy policy) {
    this.name = name;
    this.command = command;
    this.workingDir = workingDir;
    this.env = env;
    this.log = log;
    this.policy = policy;
  }

  public String name() {
    return name;
  }

  public synchronized void start() {
    long mine = ++generation;
    gaveUp = false;
    restarts = 0;
    launch();
    var supervisor = new Thread(() -> supervise(mine), "supervise-" + name);
    supervisor.setDaemon(true);
    supervisor.start();
  }

  private void launch() {
    var builder = new ProcessBuilder(guarded(command)).directory(workingDir.toFile()).redirectErrorStream(true);
    builder.environment().putAll(env);
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot start " + name + ": " + e.getMessage(), e);
    }
    startedAt = System.nanoTime();
    Process current = process;
    pump = new Thread(() -> pump(current), "log-" + name);
    pump.setDaemon(true);
    pump.start();
  }

  private void pump(Process current) {
    try (var reader = new BufferedReader(new InputStreamReader(current.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = reader.readLine()) != null) {
        // More output already there (in the reader's buffer or the pipe) is, nearly always, more whole lines: the
        // sink may write them together. A process that stops halfway through a line holds up the ones before, for
        // as long as the sink allows (ConsoleLog: 50 ms).
        if (reader.ready()) {
          log.lineFollowedByMore(name, line);
        } else {
          log.line(name, line);
        }
      }
    } catch (IOException e) {
      // The process is gone; its exit is reported by the supervisor.
    }
  }

  private void supervise(long mine) {
    while (true) {
      Process current;
      Thread currentPump;
      synchronized (this) {
        if (generation != mine) {
          return;
        }
        current = process;
        currentPump = pump;
      }
      int status;
      try {
        status = current.waitFor();
      } catch (InterruptedException e) {
        return;
      }
      closeInput(current);
      awaitLastLines(currentPump); // a crash's last lines come before the line that says it exited
      synchronized (this) {
        if (generation != mine) {
          return; // asked to stop, or started anew
        }
      }
      if (System.nanoTime() - startedAt > policy.stableAfter().toNanos()) {
        restarts = 0;
      }
      if (restarts >= policy.maxRestarts()) {
        log.line("runner", name + " exited with status " + status + "; giving up after " + restarts
            + " restarts in a row (it never stayed up for " + policy.stableAfter().toSeconds() + " s)");
        gaveUp = true;
        return;
      }
      restarts++;
      Duration backoff = policy.backoff(restarts);
      log.line("runner", name + " exited unexpectedly with status " + status + "; restarting in "
          + backoff.toMillis() + " ms (restart " + restarts + " of at most " + policy.maxRestarts() + ")");
      try {
        Thread.sleep(backoff.toMillis());
      } catch (InterruptedException e) {
        return;
      }
      synchronized (this) {
        if (generation != mine) {
          return;
        }
        try {
          launch();
        } catch (IllegalStateException cannotStart) {
          // No new process (the fork failed, its directory is gone): the ended one is waited for again, at once, and
          // counts as another failed restart, so that this ends in a restart that works, or in giving up.
          log.line("runner", cannotStart.getMessage());
          startedAt = System.nanoTime();
        }
      }
    }
  }

  /** SIGTERM, then SIGKILL (with every descendant) if it has not exited within {@code timeout}. */
  public void stop(Duration timeout) {
    Process current;
    synchronized (this) {
      generation++;
      current = process;
    }
    if (current == null || !current.isAlive()) {
      return;
    }
    var descendants = current.descendants().toList();
    // Through the handle, not Process.destroy(): that also closes our end of the process's output pipe, so its
    // shutdown lines would be lost and its next write would kill it with SIGPIPE instead of a graceful stop.
    current.toHandle().destroy();
    try {
      if (!current.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        log.line("runner", name + " did not stop within " + timeout.toSeconds() + " s; killing it");
        current.toHandle().destroyForcibly();
        current.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    // Whatever the process left behind (it should have stopped its children itself) goes too.
    descendants.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    awaitLastLines(pump);
  }

  /**
   * Until the ended process's output is passed on to the end, the last lines of a stop included, or briefly: the
   * runner exits once everything stopped, and lines still being read would be lost.
   */
  private static void awaitLastLines(Thread reader) {
    if (reader != null) {
      try {
        reader.join(2_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  boolean isAlive() {
    Process current = process;
    return current != null && current.isAlive();
  }

  boolean gaveUp() {
    return gaveUp;
  }

  /** A child process of this one running this executable (its file name), e.g. the daprd or the java of a pair. */
  public Optional<ProcessHandle> child(String executable) {
    Process current = process;
    if (current == null) {
      return Optional.empty();
    }
    return current.children()
        .filter(child -> child.info().command().map(Path::of).map(Path::getFileName).map(Path::toString)
            .filter(executable::equals).isPresent())
        .findFirst();
  }

  /** What the runner's death does, for tests: the watcher of {@link #GUARD} sees the end of the process's input. */
  void closeInput() {
    closeInput(process);
  }

  private static void closeInput(Process process) {
    try {
      process.getOutputStream().close();
    } catch (IOException alreadyClosed) {
      // nothing left to tell it
    }
  }

  public long pid() {
    return process.pid();
  }

  private static List<String> guarded(List<String> command) {
    var full = new ArrayList<String>();
    if (Path.of("/usr/bin/setsid").toFile().canExecute()) {
      full.add("/usr/bin/setsid");
    }
    full.addAll(List.of("bash", "-c", GUARD, "guard"));
    full.addAll(command);
    return full;
  }
}
