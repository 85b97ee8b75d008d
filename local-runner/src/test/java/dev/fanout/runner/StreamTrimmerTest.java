package dev.fanout.runner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * scripts/trim-streams.sh against a real Redis, with consumer groups read and acknowledged by hand as daprd does: it
 * trims what every group has acknowledged, and never an entry some group has not read or not acknowledged; dead
 * letters, the only copy of a dropped event, stay for a week even once acknowledged.
 */
class StreamTrimmerTest {

  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final String STREAM = "followerAdded";

  @TempDir
  static Path dir;

  private static Process redis;
  private static int port;

  @BeforeAll
  static void startRedis() throws Exception {
    assumeTrue(LocalStack.onPath("redis-server"),
        "needs redis-server on PATH, as the runner does (scripts/setup.sh installs it)");
    try (var free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    redis = new ProcessBuilder("redis-server", "--port", String.valueOf(port), "--bind", "127.0.0.1", "--save", "",
        "--appendonly", "no", "--dir", dir.toString()).redirectErrorStream(true)
        .redirectOutput(dir.resolve("redis.log").toFile()).start();
    await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> cli("PING").equals("PONG"));
  }

  @AfterAll
  static void stopRedis() {
    if (redis != null) {
      redis.destroy();
    }
  }

  @BeforeEach
  void emptyRedis() throws Exception {
    cli("FLUSHALL");
    for (int i = 1; i <= 6; i++) {
      cli("XADD", STREAM, "100" + i + "-0", "event", String.valueOf(i));
    }
  }

  @Test
  void trimsEverythingEveryGroupHasAcknowledged() throws Exception {
    for (String group : List.of("email", "push")) {
      readAndAcknowledge(group, 6);
    }

    assertThat(trimOnce("email,push")).contains("followerAdded: 6 entries");
    assertThat(ids()).isEmpty();
  }

  @Test
  void keepsWhatAGroupHasReadButNotAcknowledged() throws Exception {
    readAndAcknowledge("email", 6);
    cli("XGROUP", "CREATE", STREAM, "push", "0");
    cli("XREADGROUP", "GROUP", "push", "push-1", "COUNT", "4", "STREAMS", STREAM, ">"); // 1001-1004, in flight
    cli("XACK", STREAM, "push", "1001-0", "1003-0"); // 1002 still pending: its handler is slow, or its daprd died

    trimOnce("email,push");

    assertThat(ids()).containsExactly("1002-0", "1003-0", "1004-0", "1005-0", "1006-0");
  }

  @Test
  void keepsWhatAGroupHasNotReadYet() throws Exception {
    readAndAcknowledge("email", 6);
    readAndAcknowledge("push", 3); // push is behind, or was stopped

    trimOnce("email,push");

    assertThat(ids()).containsExactly("1004-0", "1005-0", "1006-0");
  }

  @Test
  void trimsNothingUntilEverySubscriberHasSubscribed() throws Exception {
    readAndAcknowledge("email", 6); // push's daprd has not created its group yet: it will read from the start

    assertThat(trimOnce("email,push")).isEmpty();
    assertThat(ids()).hasSize(6);
  }

  @Test
  void keepsAcknowledgedDeadLettersForReplayUntilTheyAreOldEnough() throws Exception {
    String emailDeadLetters = "followerAdded-dead-letter-email";
    String dropped = cli("XADD", emailDeadLetters, "*", "event", "dropped"); // now: the only copy of its event
    cli("XADD", emailDeadLetters, "*", "event", "still being retried");
    cli("XGROUP", "CREATE", emailDeadLetters, "email", "0");
    cli("XREADGROUP", "GROUP", "email", "email-1", "COUNT", "1", "STREAMS", emailDeadLetters, ">");
    cli("XACK", emailDeadLetters, "email", dropped);

    trimOnce("email,push", Map.of()); // kept 7 days by default
    assertThat(cli("XLEN", emailDeadLetters)).isEqualTo("2");

    assertThat(trimOnce("email,push", Map.of("TRIM_DEAD_LETTER_KEEP_SECONDS", "0")))
        .contains("followerAdded-dead-letter-email: 1 entries");
    assertThat(cli("XRANGE", emailDeadLetters, "-", "+")).contains("still being retried").doesNotContain(dropped);
  }

  @Test
  void keepsWhatAGroupThatIsNoSubscriberHasNotAcknowledgedAndSaysSo() throws Exception {
    readAndAcknowledge("email", 6);
    readAndAcknowledge("push", 6);
    cli("XGROUP", "CREATE", STREAM, "debugging", "1003-0"); // made by hand, read by no service

    assertThat(trimOnce("email,push")).contains("groups debugging are not subscribers");

    assertThat(ids()).containsExactly("1004-0", "1005-0", "1006-0");
  }

  /** Creates the group at the stream's start, as daprd does, then reads and acknowledges the first n entries. */
  private static void readAndAcknowledge(String group, int n) throws Exception {
    cli("XGROUP", "CREATE", STREAM, group, "0");
    cli("XREADGROUP", "GROUP", group, group + "-1", "COUNT", String.valueOf(n), "STREAMS", STREAM, ">");
    for (int i = 1; i <= n; i++) {
      cli("XACK", STREAM, group, "100" + i + "-0");
    }
  }

  private static String trimOnce(String groups) throws Exception {
    return trimOnce(groups, Map.of());
  }

  private static String trimOnce(String groups, Map<String, String> env) throws Exception {
    var trimmer = new ProcessBuilder("sh", ROOT.resolve("scripts/trim-streams.sh").toString(), "--once")
        .redirectErrorStream(true);
    trimmer.environment().putAll(Map.of("REDIS_HOST", "127.0.0.1:" + port, "TRIM_GROUPS", groups));
    trimmer.environment().putAll(env);
    Process process = trimmer.start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertThat(process.waitFor()).as("the trimmer's exit status; it printed: %s", out).isZero();
    return out;
  }

  private static List<String> ids() throws Exception {
    var ids = new ArrayList<String>();
    cli("XRANGE", STREAM, "-", "+").lines().filter(line -> line.matches("\\d+-\\d+")).forEach(ids::add);
    return ids;
  }

  private static String cli(String... args) throws IOException, InterruptedException {
    var command = new ArrayList<>(List.of("redis-cli", "-p", String.valueOf(port)));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    process.waitFor();
    return out;
  }
}
