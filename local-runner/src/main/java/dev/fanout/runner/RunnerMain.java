package dev.fanout.runner;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.concurrent.CountDownLatch;

/**
 * {@code scripts/run.sh [--scale APP=N]... [--port-offset N] [--run-dir DIR] [--fresh]}: runs the whole system in the foreground, logs of
 * every process prefixed by its name, until Ctrl-C or SIGTERM stops everything.
 */
public final class RunnerMain {

  private static final String USAGE = "usage: scripts/run.sh [--scale APP_ID=N]... [--port-offset N] [--run-dir DIR] [--fresh]\n"
      + "  --fresh  start on an empty broker: the run directory's Redis data (every stream, every subscriber's\n"
      + "           record of what it handled) is deleted once no other stack holds the directory";

  public static void main(String[] args) throws InterruptedException {
    Path root = Path.of(System.getProperty("fanout.root", ".")).toAbsolutePath().normalize();
    var scale = new LinkedHashMap<String, Integer>();
    int portOffset = 0;
    Path runDir = null;
    boolean fresh = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--scale" -> {
          String[] appAndCount = value(args, ++i).split("=", 2);
          if (appAndCount.length != 2 || number(appAndCount[1]) < 1) {
            fail("--scale takes APP_ID=N, N at least 1");
          }
          scale.put(appAndCount[0], number(appAndCount[1]));
        }
        case "--port-offset" -> {
          portOffset = number(value(args, ++i));
          if (portOffset < 0) {
            fail("--port-offset takes a number of ports, 0 or more");
          }
        }
        case "--run-dir" -> runDir = Path.of(value(args, ++i)).toAbsolutePath();
        case "--fresh" -> fresh = true;
        case "-h", "--help" -> {
          System.out.println(USAGE);
          return;
        }
        default -> fail("unknown argument " + args[i]);
      }
    }
    if (runDir == null) {
      // Each stack its own broker data: another on other ports (--port-offset) beside this one must not share it.
      runDir = root.resolve(portOffset == 0 ? ".run" : ".run-offset-" + portOffset);
    }
    Topology topology = Topology.read(root);
    scale.keySet().forEach(topology::app); // an unknown app-id fails here, with the known ones listed
    int width = topology.apps().stream().mapToInt(app -> app.appId().length()).max().orElse(10) + 3;
    var console = ConsoleLog.onStandardOutput(System.console() != null, width);

    var options = StackOptions.defaults(root, console).withScale(scale).withPortOffset(portOffset).withRunDir(runDir);
    if (fresh) {
      options = options.withFreshBroker();
    }
    LocalStack stack;
    try {
      stack = LocalStack.prepare(options);
    } catch (IllegalStateException e) {
      console.line("runner", "cannot start: " + e.getMessage());
      System.exit(1);
      return;
    }
    // Registered before anything starts, so that Ctrl-C during start-up leaves no process behind either.
    var stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      console.line("runner", "stopping everything");
      stack.close();
      console.line("runner", "stopped");
      stopped.countDown();
    }, "shutdown"));
    try {
      stack.start();
    } catch (IllegalStateException e) {
      console.line("runner", "cannot start: " + e.getMessage());
      System.exit(1);
    }
    printUrls(stack, console);
    stopped.await();
  }

  private static void printUrls(LocalStack stack, LogSink console) {
    for (Pair pair : stack.pairs()) {
      console.line("runner", String.format("%s app %s, daprd %s", pair.name(), pair.appUrl(), pair.daprHttpUrl()));
    }
    console.line("runner", "redis " + stack.redisAddress());
    Pair facade = stack.pair("api-facade");
    console.line("runner", "READY. Try: curl -i -X POST " + facade.appUrl() + "/followers"
        + " -H 'Content-Type: application/json' -d '{\"userId\":\"alice\",\"followerId\":\"bob\"}'");
  }

  /** A whole number, or -1. */
  private static int number(String text) {
    try {
      return Integer.parseInt(text);
    } catch (NumberFormatException notANumber) {
      return -1;
    }
  }

  private static String value(String[] args, int i) {
    if (i >= args.length) {
      fail(args[i - 1] + " needs a value");
    }
    return args[i];
  }

  private static void fail(String message) {
    System.err.println(message);
    System.err.println(USAGE);
    System.exit(2);
  }

  private RunnerMain() {
  }

}
