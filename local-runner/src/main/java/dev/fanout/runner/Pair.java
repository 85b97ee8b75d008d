package dev.fanout.runner;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;

/**
 * One replica of a service: its app and its own daprd, run together by scripts/entrypoint.sh as one supervised
 * process, like one container of compose.
 */
public final class Pair {

  private final AppSpec spec;
  private final int replica;
  private final Ports ports;
  private final ManagedProcess process;
  private final Tokens tokens;
  private final Duration stopTimeout;

  /**
   * Per service and per run: what the app must send to its daprd ({@code DAPR_API_TOKEN}) and what daprd sends to
   * the app ({@code APP_API_TOKEN}). Fresh for every run, never written to a file.
   */
  public record Tokens(String daprApiToken, String appApiToken) {
  }

  /** The ports of this replica; replica 1 has dapr.yaml's (plus the offset), others get free ones. */
  record Ports(int app, int daprHttp, int daprGrpc, int daprInternalGrpc, int metrics) {
  }

  Pair(AppSpec spec, int replica, Ports ports, ManagedProcess process, Tokens tokens, Duration stopTimeout) {
    this.spec = spec;
    this.replica = replica;
    this.ports = ports;
    this.process = process;
    this.tokens = tokens;
    this.stopTimeout = stopTimeout;
  }

  public Tokens tokens() {
    return tokens;
  }

  public String appId() {
    return spec.appId();
  }

  public String name() {
    return process.name();
  }

  public int replica() {
    return replica;
  }

  public boolean subscribes() {
    return spec.subscribes();
  }

  public URI appUrl() {
    return URI.create("http://127.0.0.1:" + ports.app());
  }

  public URI daprHttpUrl() {
    return URI.create("http://127.0.0.1:" + ports.daprHttp());
  }

  /** The app's JVM, a child of the entrypoint. */
  public Optional<ProcessHandle> appProcess() {
    return process.child("java");
  }

  /** This pair's daprd, a child of the entrypoint. */
  public Optional<ProcessHandle> sidecarProcess() {
    return process.child("daprd");
  }

  /**
   * Stops the pair gracefully (SIGTERM to the entrypoint, which stops both halves in order), killing it only once
   * the entrypoint had its own time to (see {@link LocalStack#stopTimeout}).
   */
  public void stop() {
    process.stop(stopTimeout);
  }

  /** Starts a stopped pair again. */
  public void start() {
    process.start();
  }

  ManagedProcess process() {
    return process;
  }

  public boolean isRunning() {
    return process.isAlive();
  }
}
