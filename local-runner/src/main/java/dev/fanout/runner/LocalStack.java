package dev.fanout.runner;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * The whole system on this machine, as compose runs it: Redis (append-only persistence, data under the run
 * directory), its stream trimmer (scripts/trim-streams.sh), placement, and every service as a {@link Pair} of app
 * and real daprd, started through scripts/entrypoint.sh with the app-ids and ports of dapr.yaml. Used by
 * {@code scripts/run.sh} and, through the same code, by the end-to-end tests.
 */
public final class LocalStack implements AutoCloseable {

  private static final Duration READY_TIMEOUT = Duration.ofSeconds(180);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final SecureRandom RANDOM = new SecureRandom();

  private final StackOptions options;
  private final Topology topology;
  private final Path daprBin;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final List<Pair> pairs = new CopyOnWriteArrayList<>();
  private final Map<String, Pair.Tokens> tokens = new ConcurrentHashMap<>();
  private final EphemeralPorts ephemeral = EphemeralPorts.ofThisMachine();
  private final ReplicaPorts replicaPorts;
  private final RunDirLock runDirLock;
  private final String redisPassword;
  private ManagedProcess redis;
  private ManagedProcess trimmer;
  private ManagedProcess placement;
  // close() may come (Ctrl-C, a shutdown hook) while start() is still starting processes: each start checks it
  // and records its process under this lock, so that nothing starts after close() and close() sees all that did.
  private final Object lifecycle = new Object();
  private volatile boolean closed;

  private LocalStack(StackOptions options) {
    this.options = options;
    this.topology = Topology.read(options.root());
    this.daprBin = locateDapr(options.root());
    requireOnPath("redis-server", "the broker; install it with scripts/setup.sh (Debian package redis-server)");
    requireOnPath("redis-cli", "used to check on the broker; install it with scripts/setup.sh");
    for (AppSpec app : topology.apps()) {
      if (!Files.isRegularFile(app.jar())) {
        throw new IllegalStateException(app.jar() + " is missing: build the jars first (./mvnw package)");
      }
      if (options.replicas(app.appId()) < 1) {
        throw new IllegalStateException(app.appId() + " needs at least one replica");
      }
    }
    // As compose has it: set, Redis requires it, and daprd's components (envRef), the trimmer and redis-cli send it.
    this.redisPassword = options.extraEnv().getOrDefault("REDIS_PASSWORD",
        System.getenv().getOrDefault("REDIS_PASSWORD", ""));
    this.replicaPorts = new ReplicaPorts(ReplicaPorts.FROM + RANDOM.nextInt(ReplicaPorts.TO - ReplicaPorts.FROM),
        ephemeral, topology.ports().stream().map(port -> port + options.portOffset()).toList());
    this.runDirLock = RunDirLock.take(options.runDir()); // last: nothing after it can fail and leave it held
  }

  /**
   * The run directory is this stack's alone until {@link #close}: two Redis servers on one append-only file would
   * each rewrite it under the other, and lose what the other had acknowledged. A file lock keeps out other
   * processes; within this JVM the set of held lock files does, before any second channel is opened on one: closing
   * that channel would release this JVM's lock on it (POSIX locks belong to the process).
   */
  private record RunDirLock(Path file, FileChannel channel) {

    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

    static RunDirLock take(Path dir) {
      Path file;
      try {
        Files.createDirectories(dir);
        file = dir.toRealPath().resolve("lock");
      } catch (IOException e) {
        throw new IllegalStateException("cannot create the run directory " + dir + ": " + e.getMessage(), e);
      }
      if (!HELD.add(file)) {
        throw runDirInUse(dir);
      }
      try {
        var channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        if (channel.tryLock() == null) {
          channel.close(); // this JVM held no lock on the file, so this releases none
          HELD.remove(file);
          throw runDirInUse(dir);
        }
        return new RunDirLock(file, channel);
      } catch (IOException e) {
        HELD.remove(file);
        throw new IllegalStateException("cannot lock the run directory " + dir + ": " + e.getMessage(), e);
      }
    }

    /** Idempotent: only the first call closes the channel. */
    void release() throws IOException {
      if (HELD.remove(file)) {
        channel.close();
      }
    }
  }

  private static IllegalStateException runDirInUse(Path dir) {
    return new IllegalStateException("the run directory " + dir + " is in use by another stack, whose Redis keeps"
        + " its data there. Stop that stack, or give this one a directory of its own with --run-dir DIR");
  }

  /** Starts everything and returns once every pair is ready; on failure, stops what it had started. */
  public static LocalStack start(StackOptions options) {
    var stack = prepare(options);
    stack.start();
    return stack;
  }

  /** Checks the prerequisites (daprd, Redis, jars) without starting anything. */
  public static LocalStack prepare(StackOptions options) {
    return new LocalStack(options);
  }

  /** Starts everything and returns once every pair is ready; on failure, stops what it had started. */
  public synchronized void start() {
    try {
      startAll();
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  private void startAll() {
    long start = System.nanoTime();
    warnOfPortsInTheEphemeralRange();
    refuseBusyPorts();
    unlessClosed(() -> redis = startRedis());
    unlessClosed(() -> placement = startPlacement());
    awaitReady("redis", redis, () -> redisPing());
    unlessClosed(() -> trimmer = startTrimmer());
    for (AppSpec app : topology.apps()) {
      Path jar = stage(app.jar());
      for (int replica = 1; replica <= options.replicas(app.appId()); replica++) {
        int number = replica;
        unlessClosed(() -> pairs.add(startPair(app, jar, number)));
      }
    }
    for (Pair pair : pairs) {
      awaitReady(pair);
    }
    options.log().line("runner", String.format("ready in %.1f s", (System.nanoTime() - start) / 1e9));
  }

  /** Said before anything starts, so that a daprd failing to listen later is not a mystery. */
  private void warnOfPortsInTheEphemeralRange() {
    var exposed = ephemeral.within(topology.ports().stream().map(port -> port + options.portOffset()).toList());
    if (!exposed.isEmpty()) {
      options.log().line("runner", "warning: ports " + exposed + " lie in this machine's ephemeral range ("
          + ephemeral + ", " + EphemeralPorts.KERNEL_RANGE + "), where an outgoing connection may hold one before its "
          + "server binds it; Linux's default is " + EphemeralPorts.LINUX_DEFAULT);
    }
  }

  /**
   * Before anything starts. A port already taken would make its process fail until it is given up, minutes later,
   * and whatever holds it (another stack, most likely) could answer the readiness checks in its place.
   */
  private void refuseBusyPorts() {
    var busy = new ArrayList<String>();
    topology.portUses().forEach((port, use) -> {
      if (!free(port + options.portOffset())) {
        busy.add((port + options.portOffset()) + " (" + use + ")");
      }
    });
    if (!busy.isEmpty()) {
      throw new IllegalStateException("ports already in use: " + String.join(", ", busy) + ". Stop what listens "
          + "there (another scripts/run.sh or benchmark?), or move this stack with --port-offset N");
    }
  }

  private static boolean free(int port) {
    try (var socket = new ServerSocket()) {
      socket.setReuseAddress(true); // as the servers do: a port whose last connections linger in TIME_WAIT is free
      socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      return true;
    } catch (IOException taken) {
      return false;
    }
  }

  public Topology.HostPort redisAddress() {
    return topology.redis().plus(options.portOffset());
  }

  public List<Pair> pairs() {
    return List.copyOf(pairs);
  }

  public List<Pair> pairs(String appId) {
    return pairs.stream().filter(pair -> pair.appId().equals(appId)).toList();
  }

  public Pair pair(String appId) {
    return pairs(appId).get(0);
  }

  public List<String> appIds() {
    return topology.apps().stream().map(AppSpec::appId).toList();
  }

  /** Waits until the pair is ready again, e.g. after a restart. */
  public void awaitReady(Pair pair) {
    awaitReady(pair.name() + " daprd", pair.process(),
        () -> status(pair.daprHttpUrl().resolve("/v1.0/healthz"), null) / 100 == 2);
    awaitReady(pair.name() + " app", pair.process(),
        () -> status(pair.appUrl().resolve("/actuator/health/readiness"), null) == 200);
    if (pair.subscribes()) {
      awaitReady(pair.name() + " subscriptions", pair.process(), () -> {
        try {
          Set<String> announced = announcedSubscriptions(pair);
          return !announced.isEmpty() && announced.equals(registeredSubscriptions(pair));
        } catch (IllegalStateException notAnswering) {
          return false; // asked again until the timeout
        }
      });
    }
  }

  /**
   * What the app announces on {@code GET /dapr/subscribe}, as "pubsub/topic -> route" entries.
   *
   * @throws IllegalStateException when the app does not answer 200
   */
  public Set<String> announcedSubscriptions(Pair pair) {
    var entries = new TreeSet<String>();
    for (JsonNode subscription : getJson(pair.appUrl().resolve("/dapr/subscribe"), pair.tokens().appApiToken())) {
      entries.add(subscription.path("pubsubName").asText() + "/" + subscription.path("topic").asText() + " -> "
          + subscription.path("route").asText());
    }
    return entries;
  }

  /**
   * What daprd actually registered, from its metadata API, in the same form.
   *
   * @throws IllegalStateException when daprd does not answer 200: an empty set always means none registered
   */
  public Set<String> registeredSubscriptions(Pair pair) {
    var entries = new TreeSet<String>();
    var metadata = getJson(pair.daprHttpUrl().resolve("/v1.0/metadata"), pair.tokens().daprApiToken());
    for (JsonNode subscription : metadata.path("subscriptions")) {
      for (JsonNode rule : subscription.path("rules")) {
        entries.add(subscription.path("pubsubname").asText() + "/" + subscription.path("topic").asText() + " -> "
            + rule.path("path").asText());
      }
    }
    return entries;
  }

  /** Runs redis-cli against this stack's Redis and returns its output, trimmed. */
  public String redisCli(String... args) {
    var command = new ArrayList<>(List.of("redis-cli", "-h", redisAddress().host(), "-p",
        String.valueOf(redisAddress().port())));
    command.addAll(List.of(args));
    return run(command, redisPassword.isEmpty() ? Map.of() : Map.of("REDISCLI_AUTH", redisPassword)).output();
  }

  private record Ran(int status, String output) {
  }

  /**
   * Runs a short command to its end, 10 s at most, then kills it: its exit status (-1 when killed) and its output,
   * trimmed. The output goes to a file, read once the command is over: read from a pipe, it would only end when the
   * command does, and a command that hangs (a redis-cli whose server never answers) would hang the caller with it.
   */
  private Ran run(List<String> command, Map<String, String> env) {
    Path output = null;
    try {
      output = Files.createTempFile("fanout-command", ".out");
      var builder = new ProcessBuilder(command).directory(options.root().toFile()).redirectErrorStream(true)
          .redirectOutput(output.toFile());
      builder.environment().putAll(env);
      Process process = builder.start();
      int status = -1;
      if (process.waitFor(10, TimeUnit.SECONDS)) {
        status = process.exitValue();
      } else {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
      // Whatever the bytes (a line cut by the kill): decoded with replacement, not refused.
      return new Ran(status, new String(Files.readAllBytes(output), StandardCharsets.UTF_8).trim());
    } catch (IOException e) {
      throw new IllegalStateException(command.get(0) + " failed: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } finally {
      if (output != null) {
        try {
          Files.deleteIfExists(output);
        } catch (IOException leftBehind) {
          // a file in the temporary directory
        }
      }
    }
  }


  /** The broker: stopped and started by the fault tests. */
  public ManagedProcess redis() {
    return redis;
  }

  private void unlessClosed(Runnable start) {
    synchronized (lifecycle) {
      if (closed) {
        throw new IllegalStateException("stopped while starting");
      }
      start.run();
    }
  }

  /**
   * Stops every pair (in parallel, each in its own order), then placement, then Redis, then lets another stack have
   * the run directory. Idempotent.
   */
  @Override
  public void close() {
    synchronized (lifecycle) {
      closed = true;
    }
    var stoppers = pairs.stream().map(pair -> {
      var thread = new Thread(pair::stop, "stop-" + pair.name());
      thread.start();
      return thread;
    }).toList();
    for (Thread stopper : stoppers) {
      try {
        stopper.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (placement != null) {
      placement.stop(Duration.ofSeconds(10));
    }
    if (trimmer != null) {
      trimmer.stop(Duration.ofSeconds(10));
    }
    if (redis != null) {
      redis.stop(Duration.ofSeconds(10));
    }
    try {
      Files.deleteIfExists(options.runDir().resolve("redis-auth.conf"));
    } catch (IOException e) {
      options.log().line("runner", "could not delete Redis's password file: " + e.getMessage());
    }
    releaseRunDir();
  }

  private void releaseRunDir() {
    try {
      runDirLock.release();
    } catch (IOException e) {
      options.log().line("runner", "could not release the lock of " + options.runDir() + ": " + e.getMessage());
    }
  }


  private ManagedProcess startRedis() {
    var command = new ArrayList<>(List.of("redis-server"));
    Path dir = brokerDir();
    if (!redisPassword.isEmpty()) {
      command.add(writeRedisAuth().toString()); // a config file comes first, before the options
    }
    var address = redisAddress();
    command.addAll(List.of(
        "--port", String.valueOf(address.port()), "--bind", address.host(),
        "--dir", dir.toString(),
        // Append-only file, fsync'd every second: an event the facade acknowledged survives a broker restart.
        "--appendonly", "yes", "--appendfsync", "everysec", "--save", ""));
    var process = new ManagedProcess("redis", command, options.root(), Map.of(), options.log(),
        options.restartPolicy());
    process.start();
    return process;
  }

  /**
   * The password in a file only its owner reads, not on Redis's command line, where any user's ps would show it.
   * Redis reads the file again on each restart, so it stays until the stack closes.
   */
  private Path writeRedisAuth() {
    Path file = options.runDir().resolve("redis-auth.conf");
    try {
      Files.deleteIfExists(file);
      Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      return Files.writeString(file, redisAuthConfig(redisPassword));
    } catch (IOException e) {
      throw new IllegalStateException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Where Redis keeps its data, emptied first for a fresh broker: only here, by a stack that holds the run directory
   * (RunDirLock), never under another stack's Redis.
   */
  Path brokerDir() {
    Path dir = options.runDir().resolve("redis");
    try {
      if (options.freshBroker()) {
        deleteRecursively(dir);
      }
      return Files.createDirectories(dir);
    } catch (IOException e) {
      throw new IllegalStateException("cannot prepare " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * Redis's config line requiring {@code password}: every byte escaped as {@code \xHH} in a quoted argument, so that
   * no quote, backslash, space or '#' in it is read as the config's own syntax.
   */
  static String redisAuthConfig(String password) {
    var escaped = new StringBuilder();
    for (byte b : password.getBytes(StandardCharsets.UTF_8)) {
      escaped.append("\\x").append(HexFormat.of().toHexDigits(b));
    }
    return "requirepass \"" + escaped + "\"\n";
  }

  private static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(path);
      }
    }
  }

  /**
   * scripts/trim-streams.sh, as compose runs it: the streams lose what every subscriber has acknowledged. The
   * caller's environment reaches it, and the options' extra environment (TRIM_INTERVAL_SECONDS, say).
   */
  private ManagedProcess startTrimmer() {
    var process = new ManagedProcess("stream-trimmer", trimmerCommand(), options.root(), trimmerEnv(), options.log(),
        options.restartPolicy());
    process.start();
    return process;
  }

  /** One pass of the stream trimmer, now, whatever its interval: what it printed (its trims, its failures). */
  public String trimStreamsOnce() {
    var command = new ArrayList<>(trimmerCommand());
    command.add("--once");
    Ran trim = run(command, trimmerEnv());
    if (trim.status() != 0) {
      throw new IllegalStateException("the stream trimmer failed: " + trim.output());
    }
    return trim.output();
  }


  private List<String> trimmerCommand() {
    return List.of("sh", options.root().resolve("scripts/trim-streams.sh").toString());
  }

  private Map<String, String> trimmerEnv() {
    var env = new LinkedHashMap<String, String>();
    env.put("REDIS_HOST", redisAddress().toString());
    env.put("TRIM_GROUPS", String.join(",",
        topology.apps().stream().filter(AppSpec::subscribes).map(AppSpec::appId).toList()));
    env.putAll(options.extraEnv());
    return env;
  }

  private ManagedProcess startPlacement() {
    String host = topology.placement().host();
    var ports = topology.placementPorts().plus(options.portOffset());
    var process = new ManagedProcess("placement", List.of(daprBin.resolve("placement").toString(),
        "--port", String.valueOf(ports.grpc()),
        "--listen-address", host,
        "--healthz-port", String.valueOf(ports.healthz()), "--healthz-listen-address", "127.0.0.1",
        "--metrics-port", String.valueOf(ports.metrics()), "--metrics-listen-address", "127.0.0.1",
        "--initial-cluster", "dapr-placement-0=127.0.0.1:" + ports.raft(),
        "--log-level", "warn"),
        options.root(), Map.of(), options.log(), options.restartPolicy());
    process.start();
    return process;
  }

  /**
   * A copy of the jar in the run directory, which the app's replicas run: a build while the stack runs (the tests
   * in another terminal) rewrites target/*.jar in place, under JVMs that load classes from it as they go. Copied,
   * then renamed over the last run's copy, so that no JVM ever sees a half-written one.
   */
  Path stage(Path jar) {
    Path dir = options.runDir().resolve("jars");
    Path staged = dir.resolve(jar.getFileName());
    try {
      Files.createDirectories(dir);
      Path partial = Files.createTempFile(dir, jar.getFileName().toString(), ".partial");
      Files.copy(jar, partial, StandardCopyOption.REPLACE_EXISTING);
      return Files.move(partial, staged, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new IllegalStateException("cannot copy " + jar + " to " + dir + ": " + e.getMessage(), e);
    }
  }

  private Pair startPair(AppSpec app, Path jar, int replica) {
    int offset = options.portOffset();
    var ports = replica == 1
        ? new Pair.Ports(app.appPort() + offset, app.daprHttpPort() + offset, app.daprGrpcPort() + offset,
            app.daprInternalGrpcPort() + offset, app.metricsPort() + offset)
        : new Pair.Ports(replicaPorts.take(), replicaPorts.take(), replicaPorts.take(), replicaPorts.take(),
            replicaPorts.take());
    var env = new LinkedHashMap<String, String>(topology.commonEnv());
    env.putAll(app.env());
    if (System.getenv("JAVA_OPTS") != null) {
      env.put("JAVA_OPTS", System.getenv("JAVA_OPTS")); // the caller's JVM options win over dapr.yaml's
    }
    env.put("REDIS_HOST", redisAddress().toString());
    env.put("DAPR_PLACEMENT_ADDRESS", topology.placement().plus(offset).toString());
    env.put("APP_ID", app.appId());
    env.put("APP_PORT", String.valueOf(ports.app()));
    env.put("APP_JAR", jar.toString());
    env.put("DAPRD", daprBin.resolve("daprd").toString());
    env.put("DAPR_HTTP_PORT", String.valueOf(ports.daprHttp()));
    env.put("DAPR_GRPC_PORT", String.valueOf(ports.daprGrpc()));
    env.put("DAPR_INTERNAL_GRPC_PORT", String.valueOf(ports.daprInternalGrpc()));
    env.put("DAPR_METRICS_PORT", String.valueOf(ports.metrics()));
    env.put("DAPR_RESOURCES_PATH", topology.resourcesPath().toString());
    env.put("DAPR_CONFIG", topology.configFile().toString());
    env.put("DAPR_APP_PORT", app.subscribes() ? String.valueOf(ports.app()) : "");
    var pairTokens = tokens.computeIfAbsent(app.appId(), id -> new Pair.Tokens(randomToken(), randomToken()));
    env.put("DAPR_API_TOKEN", pairTokens.daprApiToken());
    env.put("APP_API_TOKEN", pairTokens.appApiToken());
    env.putAll(options.extraEnv());
    Duration stopTimeout = stopTimeout(env); // refused before anything of the pair starts
    var process = new ManagedProcess(app.appId() + "-" + replica,
        List.of("bash", options.root().resolve("scripts/entrypoint.sh").toString()),
        app.appDir(), env, options.log(), options.restartPolicy());
    process.start();
    return new Pair(app, replica, ports, process, pairTokens, stopTimeout);
  }

  /**
   * How long a pair may take to stop before it is killed: the entrypoint stops its two halves one after the other,
   * each killed after STOP_TIMEOUT_SECONDS (its default: 20), which the README has raised for slow downstreams; and
   * a margin for the entrypoint itself. The pair sees the runner's environment, then what the stack set.
   */
  static Duration stopTimeout(Map<String, String> pairEnv) {
    String perHalf = pairEnv.getOrDefault("STOP_TIMEOUT_SECONDS",
        System.getenv().getOrDefault("STOP_TIMEOUT_SECONDS", ""));
    try {
      // Empty is the entrypoint's default too (${STOP_TIMEOUT_SECONDS:-20}).
      return Duration.ofSeconds(2L * (perHalf.isBlank() ? 20 : Integer.parseInt(perHalf.trim())) + 5);
    } catch (NumberFormatException e) {
      throw new IllegalStateException("STOP_TIMEOUT_SECONDS is not a number of seconds: " + perHalf);
    }
  }

  private void awaitReady(String what, ManagedProcess process, BooleanSupplier ready) {
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    while (!ready.getAsBoolean()) {
      if (closed) {
        throw new IllegalStateException("stopped while waiting for " + what);
      }
      if (process.gaveUp()) {
        throw new IllegalStateException(what + " not ready: " + process.name() + " kept exiting (its lines above say"
            + " why)");
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(what + " not ready after " + READY_TIMEOUT.toSeconds() + " s");
      }
      try {
        Thread.sleep(250);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for " + what, e);
      }
    }
  }

  private boolean redisPing() {
    return "PONG".equals(redisCli("PING"));
  }

  private int status(URI uri, String token) {
    try {
      return http.send(request(uri, token), HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  private static HttpRequest request(URI uri, String token) {
    // Generous: a JVM that has just started on a busy 2-core machine can take seconds to answer its first calls.
    var request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10));
    if (token != null) {
      request.header("dapr-api-token", token); // the same header name in both directions
    }
    return request.build();
  }

  private JsonNode getJson(URI uri, String token) {
    try {
      var response = http.send(request(uri, token), HttpResponse.BodyHandlers.ofByteArray());
      if (response.statusCode() != 200) {
        throw new IllegalStateException("GET " + uri + " answered " + response.statusCode());
      }
      return JSON.readTree(response.body());
    } catch (IOException e) {
      throw new IllegalStateException("GET " + uri + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted during GET " + uri, e);
    }
  }

  /** daprd and placement of the pinned version, via scripts/daprd.sh (which builds them the first time). */
  private static Path locateDapr(Path root) {
    try {
      Process process = new ProcessBuilder("bash", root.resolve("scripts/daprd.sh").toString())
          .redirectError(ProcessBuilder.Redirect.INHERIT).start();
      String dir = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (process.waitFor() != 0 || dir.isEmpty()) {
        throw new IllegalStateException("scripts/daprd.sh could not provide daprd (exit " + process.exitValue()
            + "); run scripts/setup.sh and read its output");
      }
      return Path.of(dir);
    } catch (IOException e) {
      throw new IllegalStateException("cannot run scripts/daprd.sh: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static void requireOnPath(String tool, String why) {
    if (!onPath(tool)) {
      throw new IllegalStateException(tool + " not found on PATH: " + why);
    }
  }

  /** Whether an executable of that name is in one of PATH's directories. */
  static boolean onPath(String tool) {
    return Arrays.stream(System.getenv().getOrDefault("PATH", "").split(":"))
        .anyMatch(dir -> Files.isExecutable(Path.of(dir, tool)));
  }

  private static String randomToken() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }
}
