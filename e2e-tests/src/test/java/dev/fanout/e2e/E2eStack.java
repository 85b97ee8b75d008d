package dev.fanout.e2e;

import dev.fanout.runner.LocalStack;
import dev.fanout.runner.LogSink;
import dev.fanout.runner.StackOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One real stack for all end-to-end tests of this JVM, started through the local runner's own code (the same
 * LocalStack that scripts/run.sh drives): Redis, placement, and each service beside its own daprd. Ports are
 * shifted by {@value StackOptions#E2E_PORT_OFFSET} so that it runs beside a stack a developer has started by hand.
 * Three replicas of the email service from the start: competing consumers are part of what every test exercises.
 * Stopped when the last test of the JVM has run.
 */
final class E2eStack implements BeforeAllCallback {

  static final int EMAIL_REPLICAS = 3;
  static final String FACADE = "api-facade";
  static final String EMAIL = "email-notification-service";
  static final String PUSH = "push-notification-service";
  static final String REDIS_PASSWORD = "e2e \"pass\" \\ #word-\u00E9-" + Long.toHexString(System.nanoTime());

  private static LocalStack stack;
  private static LogRecorder logs;
  private static PushGatewayStub pushGateway;

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL)
        .getOrComputeIfAbsent(E2eStack.class, key -> start(), Closer.class);
  }

  static LocalStack stack() {
    return stack;
  }

  static LogRecorder logs() {
    return logs;
  }

  static PushGatewayStub pushGateway() {
    return pushGateway;
  }

  private static Closer start() {
    Path root = Path.of(System.getProperty("fanout.root", "..")).toAbsolutePath().normalize();
    Path runDir = root.resolve("e2e-tests/target/e2e-run");
    try {
      logs = new LogRecorder(runDir.resolve("stack.log"));
      pushGateway = new PushGatewayStub();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    System.out.println("e2e: starting the stack; its logs: " + runDir.resolve("stack.log"));
    LogSink progress = (source, line) -> {
      if (source.equals("runner")) {
        System.out.println("e2e: runner | " + line);
      }
    };
    stack = LocalStack.prepare(StackOptions.defaults(root, logs.and(progress))
        .withRunDir(runDir)
        .withFreshBroker() // no stream left over from an earlier run
        .withPortOffset(StackOptions.E2E_PORT_OFFSET)
        .withScale(Map.of(EMAIL, EMAIL_REPLICAS))
        // The push service talks to a real HTTP gateway; the slow-* users take longer than processingTimeout.
        // The stream trimmer makes one pass at start and then waits a day: tests read the streams (what was
        // published, what was dead-lettered), and StoppedSubscriberIT runs its passes when it means to.
        // A broker that requires a password, as compose's does with REDIS_PASSWORD set: every sidecar, the trimmer
        // and the tests' redis-cli must send it. Quotes, a backslash, a space, a '#' and a non-ASCII letter in it.
        // And the POSIX locale, as in a bare container: names in any script must reach the logs intact whatever
        // the machine's locale (FanOutIT).
        .withEnv(Map.of("PUSH_GATEWAY_URL", pushGateway.url().toString(), "FANOUT_PUSH_TIMEOUT", "40s",
            "TRIM_INTERVAL_SECONDS", "86400", "REDIS_PASSWORD", REDIS_PASSWORD, "LC_ALL", "C")));
    // Before anything starts, and also for when the test JVM is stopped from outside (Ctrl-C, a CI time-out),
    // during start-up too: the stack's processes have sessions of their own, so nothing else would stop them.
    Runtime.getRuntime().addShutdownHook(new Thread(stack::close, "stop-e2e-stack"));
    stack.start();
    return new Closer();
  }

  /** Closed by JUnit once every test class has run. */
  static final class Closer implements ExtensionContext.Store.CloseableResource {
    @Override
    public void close() {
      stack.close();
      pushGateway.close();
    }
  }
}
