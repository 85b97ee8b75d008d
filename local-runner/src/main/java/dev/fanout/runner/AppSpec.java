package dev.fanout.runner;

import java.nio.file.Path;
import java.util.Map;

/**
 * One service of dapr.yaml: its app-id, where its jar is, and the ports of its first replica.
 *
 * @param appPort the app's own port (the app reads APP_PORT)
 * @param channelPort the port daprd calls the app on, or 0 when daprd needs no channel (a pure publisher)
 */
record AppSpec(
    String appId,
    Path appDir,
    Path jar,
    int appPort,
    int channelPort,
    int daprHttpPort,
    int daprGrpcPort,
    int daprInternalGrpcPort,
    int metricsPort,
    Map<String, String> env) {

  boolean subscribes() {
    return channelPort != 0;
  }
}
