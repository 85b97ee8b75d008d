package dev.fanout.platform.sidecar;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * This app's own daprd. Defaults follow the variables the entrypoint and daprd's launchers set
 * (DAPR_HTTP_PORT, DAPR_GRPC_PORT, DAPR_API_TOKEN, APP_API_TOKEN), see fanout-defaults.yml.
 *
 * <p>The gRPC channel is the SDK's, built from {@code host} and {@code grpcPort}; the SDK's own
 * {@code DAPR_GRPC_ENDPOINT} (or {@code -Ddapr.grpc.endpoint}) takes precedence over both when set, while the
 * readiness probe still asks {@code host}:{@code httpPort}. Nothing here sets it; whoever does must point both at
 * the same daprd.
 *
 * @param apiToken what the app must send to daprd (daprd requires it when started with DAPR_API_TOKEN)
 * @param appApiToken what daprd sends to the app on every call; the subscribers refuse calls without it
 * @param timeout how long one call to the sidecar may take (a publish, a state read or write); Redis answers in
 *     well under a millisecond, so this only bounds a sidecar or broker in trouble
 * @param healthTimeout how long a readiness probe waits for daprd's /v1.0/healthz
 */
@ConfigurationProperties("dapr.sidecar")
public record DaprSidecarProperties(
    @DefaultValue("127.0.0.1") String host,
    @DefaultValue("3500") int httpPort,
    @DefaultValue("50001") int grpcPort,
    String apiToken,
    String appApiToken,
    @DefaultValue("3s") Duration timeout,
    @DefaultValue("1s") Duration healthTimeout) {

  public DaprSidecarProperties {
    // Every call to daprd gets this as its deadline: zero or less would fail each call before it starts.
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("dapr.sidecar.timeout must be positive, not " + timeout);
    }
    // Likewise every readiness probe: the app would never be ready.
    if (healthTimeout.isNegative() || healthTimeout.isZero()) {
      throw new IllegalArgumentException("dapr.sidecar.health-timeout must be positive, not " + healthTimeout);
    }
  }

  public boolean hasApiToken() {
    return apiToken != null && !apiToken.isBlank();
  }

  public boolean hasAppApiToken() {
    return appApiToken != null && !appApiToken.isBlank();
  }
}
