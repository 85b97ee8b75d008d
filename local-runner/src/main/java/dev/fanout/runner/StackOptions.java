package dev.fanout.runner;

import java.nio.file.Path;
import java.util.Map;

/**
 * How to run the stack.
 *
 * @param root the repository (dapr.yaml, components/, scripts/)
 * @param runDir where Redis keeps its append-only file; a stack reuses what a previous one left there, unless
 *     {@code freshBroker}
 * @param portOffset added to every port of dapr.yaml, so that a test stack can run beside the user's own
 * @param scale replicas per app-id; absent: one
 * @param extraEnv added to every pair's environment (after dapr.yaml's), and to the stream trimmer's;
 *     REDIS_PASSWORD here or in the runner's environment makes Redis require it, as compose does
 * @param freshBroker start Redis on no data: what the run directory held is deleted once the stack holds it
 */
public record StackOptions(Path root, Path runDir, int portOffset, Map<String, Integer> scale,
    Map<String, String> extraEnv, boolean freshBroker, LogSink log, RestartPolicy restartPolicy) {

  /**
   * The end-to-end tests' {@code portOffset}, so that their stack runs beside one a developer started by hand. Here,
   * not in the tests, because the runner keeps its own ports clear of dapr.yaml's shifted by it (ReplicaPorts). It
   * keeps every shifted port outside Linux's default range of ephemeral ports (32768–60999), as dapr.yaml's own are
   * (TopologyTest): daprd's gRPC ports once fell inside it (50001… + 10 000), and some outgoing connection on the
   * machine held 60002 when email's daprd came to bind it ("address already in use" five times in a row, every
   * test failed).
   */
  public static final int E2E_PORT_OFFSET = 11_000;

  public static StackOptions defaults(Path root, LogSink log) {
    return new StackOptions(root, root.resolve(".run"), 0, Map.of(), Map.of(), false, log, RestartPolicy.DEFAULT);
  }

  public StackOptions withPortOffset(int offset) {
    return new StackOptions(root, runDir, offset, scale, extraEnv, freshBroker, log, restartPolicy);
  }

  public StackOptions withRunDir(Path dir) {
    return new StackOptions(root, dir, portOffset, scale, extraEnv, freshBroker, log, restartPolicy);
  }

  public StackOptions withScale(Map<String, Integer> replicas) {
    return new StackOptions(root, runDir, portOffset, Map.copyOf(replicas), extraEnv, freshBroker, log, restartPolicy);
  }

  public StackOptions withEnv(Map<String, String> env) {
    return new StackOptions(root, runDir, portOffset, scale, Map.copyOf(env), freshBroker, log, restartPolicy);
  }

  public StackOptions withFreshBroker() {
    return new StackOptions(root, runDir, portOffset, scale, extraEnv, true, log, restartPolicy);
  }

  public int replicas(String appId) {
    return scale.getOrDefault(appId, 1);
  }
}
