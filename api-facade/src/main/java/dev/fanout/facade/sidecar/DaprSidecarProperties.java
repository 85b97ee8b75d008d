package dev.fanout.facade.sidecar;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Where this app's own daprd listens. Defaults follow the variables daprd's launchers set
 * (DAPR_HTTP_PORT, DAPR_GRPC_PORT, DAPR_API_TOKEN), see application.yml.
 *
 * @param publishTimeout how long a publish may take before the facade answers 503; Redis XADD takes well under
 *     a millisecond, so this only bounds a sidecar or broker in trouble
 * @param healthTimeout how long the readiness probe waits for daprd's /v1.0/healthz
 */
@ConfigurationProperties("dapr.sidecar")
public record DaprSidecarProperties(
    @DefaultValue("127.0.0.1") String host,
    @DefaultValue("3500") int httpPort,
    @DefaultValue("50001") int grpcPort,
    String apiToken,
    @DefaultValue("3s") Duration publishTimeout,
    @DefaultValue("1s") Duration healthTimeout) {
}
