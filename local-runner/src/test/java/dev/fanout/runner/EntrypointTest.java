package dev.fanout.runner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * scripts/entrypoint.sh, the pair's supervisor in a container and under the runner, with stand-ins for daprd and
 * the JVM (scripts of their own, {@code java} first on PATH): how it stops them, and what it refuses.
 */
class EntrypointTest {

  private static final Path ENTRYPOINT = Path.of("..").toAbsolutePath().normalize().resolve("scripts/entrypoint.sh");

  @TempDir
  Path dir;

  @Test
  void refusesAStopTimeoutThatIsNotWholeSeconds() throws Exception {
    Process pair = start(Map.of("STOP_TIMEOUT_SECONDS", "30s"), "exec sleep 60", "exec sleep 60");

    assertThat(pair.waitFor(20, TimeUnit.SECONDS)).isTrue();
    assertThat(pair.exitValue()).isEqualTo(2);
    assertThat(log()).contains("STOP_TIMEOUT_SECONDS must be a whole number of seconds, not '30s'");
  }

  @Test
  void killsAHalfThatIgnoresTheStopOnceItsTimeoutHasPassed() throws Exception {
    Process pair = start(Map.of("STOP_TIMEOUT_SECONDS", "1", "STOP_ORDER", "app-first"),
        "trap '' TERM; exec sleep 60", "exec sleep 60");
    await().atMost(Duration.ofSeconds(20)).until(() -> log().contains("started daprd"));

    long start = System.nanoTime();
    pair.destroy(); // SIGTERM

    assertThat(pair.waitFor(20, TimeUnit.SECONDS)).isTrue();
    assertThat(pair.exitValue()).as("a stop asked for, carried out").isZero();
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofSeconds(1));
    assertThat(log()).contains("daprd did not stop within 1s; killing it");
  }

  @Test
  void aStopAskedForWhileThePairStartsStopsBothHalves() throws Exception {
    // daprd's stand-in asks its parent to stop as soon as it runs, while the entrypoint is still starting the app.
    Process pair = start(Map.of("STOP_ORDER", "sidecar-first"),
        "echo $$ > \"$PIDS/daprd\"; kill -TERM $PPID; exec sleep 60", "echo $$ > \"$PIDS/app\"; exec sleep 60");

    assertThat(pair.waitFor(20, TimeUnit.SECONDS)).isTrue();
    assertThat(pair.exitValue()).isZero();
    for (String half : new String[] {"daprd", "app"}) {
      long pid = Long.parseLong(Files.readString(dir.resolve("pids").resolve(half)).trim());
      assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).as(half + " left running").isEmpty();
    }
  }

  /** The entrypoint, daprd's stand-in running {@code daprd}, the JVM's running {@code app} (sh scripts). */
  private Process start(Map<String, String> env, String daprd, String app) throws IOException {
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Files.createDirectories(dir.resolve("pids"));
    script(bin.resolve("daprd"), daprd);
    script(bin.resolve("java"), app);
    var builder = new ProcessBuilder("bash", ENTRYPOINT.toString()).redirectErrorStream(true)
        .redirectOutput(dir.resolve("log").toFile());
    builder.environment().putAll(Map.of("APP_ID", "test", "APP_PORT", "1",
        "APP_JAR", Files.writeString(dir.resolve("app.jar"), "").toString(), "DAPRD", bin.resolve("daprd").toString(),
        "PIDS", dir.resolve("pids").toString(), "PATH", bin + ":" + System.getenv("PATH")));
    builder.environment().putAll(env);
    return builder.start();
  }

  private static void script(Path file, String body) throws IOException {
    Files.writeString(file, "#!/bin/sh\n" + body + "\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  private String log() throws IOException {
    return Files.readString(dir.resolve("log"));
  }
}
