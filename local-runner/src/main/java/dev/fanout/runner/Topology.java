package dev.fanout.runner;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.Yaml;

/**
 * The topology of dapr.yaml (the Dapr CLI's Multi-App Run format), the one place it is written: services,
 * app-ids and ports, plus the addresses of Redis and placement in {@code common.env}.
 */
record Topology(Path root, Path resourcesPath, Path configFile, Map<String, String> commonEnv, List<AppSpec> apps) {

  static Topology read(Path root) {
    Path file = root.resolve("dapr.yaml");
    Map<String, Object> yaml;
    try (InputStream in = Files.newInputStream(file)) {
      yaml = new Yaml().load(in);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + file + ": " + e.getMessage(), e);
    }
    Map<String, Object> common = map(yaml.get("common"));
    var apps = new ArrayList<AppSpec>();
    for (Object entry : (List<?>) yaml.get("apps")) {
      apps.add(app(root, map(entry)));
    }
    return new Topology(root,
        root.resolve(string(common.get("resourcesPath"), "./components")).normalize(),
        root.resolve(string(common.get("configFilePath"), "./config/daprd.yaml")).normalize(),
        env(common.get("env")),
        List.copyOf(apps));
  }

  AppSpec app(String appId) {
    return apps.stream().filter(app -> app.appId().equals(appId)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no app '" + appId + "' in dapr.yaml; known: "
            + apps.stream().map(AppSpec::appId).toList()));
  }

  /** host:port of Redis, from {@code REDIS_HOST}. */
  HostPort redis() {
    return HostPort.parse(commonEnv.getOrDefault("REDIS_HOST", "127.0.0.1:6380"));
  }

  HostPort placement() {
    return HostPort.parse(commonEnv.getOrDefault("DAPR_PLACEMENT_ADDRESS", "127.0.0.1:20005"));
  }

  /**
   * The ports placement listens on: its gRPC port (dapr.yaml's), its health and metrics ports beside it (its own
   * defaults, 8080 and 9090, are the apps'), and its raft port.
   */
  record PlacementPorts(int grpc, int healthz, int metrics, int raft) {

    PlacementPorts plus(int offset) {
      return new PlacementPorts(grpc + offset, healthz + offset, metrics + offset, raft + offset);
    }

    List<Integer> all() {
      return List.of(grpc, healthz, metrics, raft);
    }
  }

  PlacementPorts placementPorts() {
    int grpc = placement().port();
    return new PlacementPorts(grpc, grpc + 1000, grpc + 1001, 8201);
  }

  /**
   * Every port the stack listens on before any offset, as dapr.yaml sets them: those of each service's first
   * replica (others get free ones), Redis's and placement's.
   */
  List<Integer> ports() {
    return List.copyOf(portUses().keySet());
  }

  /** {@link #ports()}, each with what listens on it, in the order they start. */
  Map<Integer, String> portUses() {
    var uses = new LinkedHashMap<Integer, String>();
    uses.put(redis().port(), "Redis");
    placementPorts().all().forEach(port -> uses.put(port, "placement"));
    for (AppSpec app : apps) {
      uses.put(app.appPort(), app.appId() + " app");
      uses.put(app.daprHttpPort(), app.appId() + " daprd HTTP");
      uses.put(app.daprGrpcPort(), app.appId() + " daprd gRPC");
      uses.put(app.daprInternalGrpcPort(), app.appId() + " daprd internal gRPC");
      uses.put(app.metricsPort(), app.appId() + " daprd metrics");
    }
    return uses;
  }

  record HostPort(String host, int port) {
    static HostPort parse(String value) {
      int colon = value.lastIndexOf(':');
      return new HostPort(value.substring(0, colon), Integer.parseInt(value.substring(colon + 1)));
    }

    HostPort plus(int offset) {
      return new HostPort(host, port + offset);
    }

    @Override
    public String toString() {
      return host + ":" + port;
    }
  }

  private static AppSpec app(Path root, Map<String, Object> app) {
    String appId = string(app.get("appID"), null);
    Path dir = root.resolve(string(app.get("appDirPath"), "./" + appId)).normalize();
    Map<String, String> env = env(app.get("env"));
    int channelPort = integer(app.get("appPort"), 0);
    int appPort = Integer.parseInt(env.getOrDefault("APP_PORT", String.valueOf(channelPort)));
    return new AppSpec(appId, dir, dir.resolve(jarOf(appId, app.get("command"))), appPort, channelPort,
        integer(app.get("daprHTTPPort"), 3500), integer(app.get("daprGRPCPort"), 20001),
        integer(app.get("daprInternalGRPCPort"), 20011), integer(app.get("metricsPort"), 9090), env);
  }

  /** The command is {@code java -jar <jar>} for the CLI; the runner starts the jar through the entrypoint. */
  private static String jarOf(String appId, Object command) {
    if (command instanceof List<?> words) {
      for (Object word : words) {
        if (word.toString().endsWith(".jar")) {
          return word.toString();
        }
      }
    }
    throw new IllegalStateException("dapr.yaml: the command of " + appId + " names no .jar");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object value) {
    return value == null ? Map.of() : (Map<String, Object>) value;
  }

  private static Map<String, String> env(Object value) {
    var env = new LinkedHashMap<String, String>();
    map(value).forEach((key, v) -> env.put(key, v == null ? "" : v.toString()));
    return env;
  }

  private static String string(Object value, String fallback) {
    return value == null ? fallback : value.toString();
  }

  private static int integer(Object value, int fallback) {
    return value == null ? fallback : Integer.parseInt(value.toString());
  }
}
