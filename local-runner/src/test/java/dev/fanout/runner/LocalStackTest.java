package dev.fanout.runner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The stack's start-up where it meets the outside: a stop (Ctrl-C, a shutdown hook), a port already taken. */
class LocalStackTest {

  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

  @Test
  void refusesToStartOnAPortAlreadyTakenAndSaysWhichAndWhatFor(@TempDir Path runDir) throws Exception {
    var jar = ROOT.resolve("api-facade/target/api-facade.jar");
    assumeTrue(Files.isRegularFile(jar), "needs the apps' jars (./mvnw package), missing: " + jar);
    int offset = 7_100; // far from the ports of scripts/run.sh and of the end-to-end stack, in case it did start
    int facadePort = 8080 + offset;
    var stack = LocalStack.prepare(StackOptions.defaults(ROOT, (source, line) -> { }).withRunDir(runDir)
        .withPortOffset(offset));
    try (var squatter = new ServerSocket(facadePort, 1, InetAddress.getLoopbackAddress())) {
      assertThatThrownBy(stack::start).isInstanceOf(IllegalStateException.class)
          .hasMessageStartingWith("ports already in use: " + facadePort + " (api-facade app).");
      assertThat(stack.pairs()).isEmpty();
      assertThat(runDir.resolve("redis")).as("Redis not started").doesNotExist();
    } finally {
      stack.close();
    }
  }

  @Test
  void runsTheAppsFromCopiesThatARebuildLeavesAlone(@TempDir Path runDir, @TempDir Path target) throws Exception {
    var jar = ROOT.resolve("api-facade/target/api-facade.jar");
    assumeTrue(Files.isRegularFile(jar), "needs the apps' jars (./mvnw package), missing: " + jar);
    try (var stack = LocalStack.prepare(StackOptions.defaults(ROOT, (source, line) -> { }).withRunDir(runDir))) {
      Path built = Files.writeString(target.resolve("app.jar"), "first build");

      Path staged = stack.stage(built);
      Files.writeString(built, "second build, written in place while the stack runs");

      assertThat(staged.getParent()).isEqualTo(runDir.resolve("jars"));
      assertThat(staged).hasContent("first build");
      assertThat(stack.stage(built)).as("the next start's copy").isEqualTo(staged)
          .hasContent("second build, written in place while the stack runs");
      assertThat(runDir.resolve("jars")).isDirectoryNotContaining("glob:**.partial");
    }
  }

  @Test
  void refusesARunDirectoryAnotherStackHoldsAndFreesItOnClose(@TempDir Path runDir, @TempDir Path tools)
      throws Exception {
    var jar = ROOT.resolve("api-facade/target/api-facade.jar");
    assumeTrue(Files.isRegularFile(jar), "needs the apps' jars (./mvnw package), missing: " + jar);
    var first = LocalStack.prepare(StackOptions.defaults(ROOT, (source, line) -> { }).withRunDir(runDir));
    try {
      // On other ports, as --port-offset would put it, but on the same broker data.
      assertThatThrownBy(() -> LocalStack.prepare(StackOptions.defaults(ROOT, (source, line) -> { })
          .withRunDir(runDir).withPortOffset(7_300))).isInstanceOf(IllegalStateException.class)
          .hasMessageStartingWith("the run directory " + runDir + " is in use by another stack");
      assertThat(lockFromAnotherProcess(runDir, tools)).as("the refusal left the first stack's lock held")
          .isEqualTo("busy");
    } finally {
      first.close();
    }
    assertThat(lockFromAnotherProcess(runDir, tools)).isEqualTo("locked");
    LocalStack.prepare(StackOptions.defaults(ROOT, (source, line) -> { }).withRunDir(runDir)).close();
  }

  @Test
  void aFreshBrokerEmptiesOnlyTheDataOfARunDirectoryItHolds(@TempDir Path runDir) throws Exception {
    var jar = ROOT.resolve("api-facade/target/api-facade.jar");
    assumeTrue(Files.isRegularFile(jar), "needs the apps' jars (./mvnw package), missing: " + jar);
    Path data = Files.createDirectories(runDir.resolve("redis")).resolve("appendonly.aof");
    Files.writeString(data, "the last run's streams");
    Path log = Files.writeString(runDir.resolve("stack.log"), "a log beside them");

    try (var holder = LocalStack.prepare(StackOptions.defaults(ROOT, (source, line) -> { }).withRunDir(runDir))) {
      assertThatThrownBy(() -> LocalStack.prepare(StackOptions.defaults(ROOT, (source, line) -> { })
          .withRunDir(runDir).withPortOffset(7_300).withFreshBroker()))
          .hasMessageStartingWith("the run directory " + runDir + " is in use by another stack");
      assertThat(data).as("under the stack that holds it").hasContent("the last run's streams");
      assertThat(holder.brokerDir()).as("a stack that was not asked for a fresh broker").isDirectoryContaining(
          path -> path.equals(data));
    }
    try (var fresh = LocalStack.prepare(StackOptions.defaults(ROOT, (source, line) -> { }).withRunDir(runDir)
        .withFreshBroker())) {
      assertThat(fresh.brokerDir()).isEqualTo(runDir.resolve("redis")).isEmptyDirectory();
      assertThat(log).hasContent("a log beside them");
    }
  }

  /** What another runner would find: a JVM of its own trying the run directory's lock. */
  private static String lockFromAnotherProcess(Path runDir, Path tools) throws Exception {
    Path source = Files.writeString(tools.resolve("TryLock.java"), """
        import java.nio.channels.FileChannel;
        import java.nio.file.Path;
        import java.nio.file.StandardOpenOption;
        class TryLock {
          public static void main(String[] args) throws Exception {
            try (var channel = FileChannel.open(Path.of(args[0]), StandardOpenOption.WRITE)) {
              System.out.print(channel.tryLock() == null ? "busy" : "locked");
            }
          }
        }
        """);
    Process java = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        source.toString(), runDir.resolve("lock").toString()).redirectErrorStream(true).start();
    String said = new String(java.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertThat(java.waitFor()).as(said).isZero();
    return said;
  }

  @Test
  void aBrokerThatNeverAnswersCostsACallTenSecondsNotTheRunner(@TempDir Path runDir) throws Exception {
    var jar = ROOT.resolve("api-facade/target/api-facade.jar");
    assumeTrue(Files.isRegularFile(jar), "needs the apps' jars (./mvnw package), missing: " + jar);
    int offset = 7_400;
    try (var stack = LocalStack.prepare(StackOptions.defaults(ROOT, (source, line) -> { }).withRunDir(runDir)
        .withPortOffset(offset));
        // Takes connections (the kernel does, up to the backlog) and never says a word.
        var silent = new ServerSocket(6380 + offset, 8, InetAddress.getLoopbackAddress())) {
      String answer = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> stack.redisCli("PING"));

      assertThat(answer).doesNotContain("PONG");
    }
  }

  @Test
  void requiresTheRedisPasswordAsSpelledWhateverItsCharacters(@TempDir Path dir) throws Exception {
    assumeTrue(LocalStack.onPath("redis-server"),
        "needs redis-server on PATH, as the runner does (scripts/setup.sh installs it)");
    String password = "p \"q\" \\x41 # \u00E9\tend";
    Path config = Files.writeString(dir.resolve("auth.conf"), LocalStack.redisAuthConfig(password));
    int port;
    try (var free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    Process redis = new ProcessBuilder("redis-server", config.toString(), "--port", String.valueOf(port),
        "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir.toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
    try {
      await().atMost(Duration.ofSeconds(20)).until(() -> cli(port, password).equals("PONG"));

      assertThat(cli(port, null)).contains("NOAUTH");
      assertThat(cli(port, "p \"q\" \\x41 # \u00E9")).as("a prefix").contains("WRONGPASS");
    } finally {
      redis.destroy();
      redis.waitFor();
    }
  }

  private static String cli(int port, String password) throws Exception {
    var builder = new ProcessBuilder("redis-cli", "-p", String.valueOf(port), "PING").redirectErrorStream(true);
    builder.environment().remove("REDISCLI_AUTH");
    if (password != null) {
      builder.environment().put("REDISCLI_AUTH", password);
    }
    Process cli = builder.start();
    String said = new String(cli.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    cli.waitFor();
    return said;
  }

  @Test
  void givesAPairTheTimeItsEntrypointTakesToStopBothHalves() {
    assertThat(LocalStack.stopTimeout(Map.of("STOP_TIMEOUT_SECONDS", "60"))).isEqualTo(Duration.ofSeconds(125));
    assertThatThrownBy(() -> LocalStack.stopTimeout(Map.of("STOP_TIMEOUT_SECONDS", "1m")))
        .hasMessageContaining("STOP_TIMEOUT_SECONDS");
  }

  @Test
  void startsNothingOnceClosed(@TempDir Path runDir) {
    var jar = ROOT.resolve("api-facade/target/api-facade.jar");
    assumeTrue(Files.isRegularFile(jar), "needs the apps' jars (./mvnw package), missing: " + jar);
    List<String> lines = new CopyOnWriteArrayList<>();
    // Far from the ports of scripts/run.sh and of the end-to-end stack, in case it did start.
    var stack = LocalStack.prepare(StackOptions.defaults(ROOT, (source, line) -> lines.add(source + " | " + line))
        .withRunDir(runDir).withPortOffset(7_000));
    try {
      stack.close(); // as a shutdown hook would, before start() got anywhere

      assertThatThrownBy(stack::start).isInstanceOf(IllegalStateException.class)
          .hasMessage("stopped while starting");
      assertThat(stack.pairs()).isEmpty();
      assertThat(runDir.resolve("redis")).doesNotExist();
    } finally {
      stack.close();
    }
  }
}
