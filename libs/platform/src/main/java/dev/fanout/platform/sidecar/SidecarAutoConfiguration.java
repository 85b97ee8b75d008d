package dev.fanout.platform.sidecar;

import com.google.common.util.concurrent.MoreExecutors;
import io.dapr.client.DaprClient;
import io.dapr.client.DaprClientBuilder;
import io.dapr.client.DaprClientImpl;
import io.dapr.client.resiliency.ResiliencyOptions;
import io.dapr.config.Properties;
import io.dapr.v1.DaprGrpc;
import io.grpc.ClientInterceptors;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * The one client each app has to its own daprd: one gRPC channel for the life of the app. Declared as the SDK's
 * implementation, which is both the stable {@link DaprClient} and the {@code DaprPreviewClient}, so that either can
 * be injected and both share the channel; so does the {@link DaprGrpc.DaprStub} the apps call daprd with.
 */
@AutoConfiguration
@EnableConfigurationProperties(DaprSidecarProperties.class)
public class SidecarAutoConfiguration {

  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean(DaprClient.class)
  DaprClientImpl daprClient(DaprSidecarProperties sidecar) {
    var builder = new DaprClientBuilder()
        .withPropertyOverride(Properties.SIDECAR_IP, sidecar.host())
        .withPropertyOverride(Properties.HTTP_PORT, String.valueOf(sidecar.httpPort()))
        .withPropertyOverride(Properties.GRPC_PORT, String.valueOf(sidecar.grpcPort()))
        // daprd retries the broker itself (components/resiliency.yaml); a retry here would only hold the caller
        // longer. The timeout becomes each call's gRPC deadline.
        .withResiliencyOptions(new ResiliencyOptions().setTimeout(sidecar.timeout()).setMaxRetries(0));
    if (sidecar.hasApiToken()) {
      builder.withPropertyOverride(Properties.API_TOKEN, sidecar.apiToken());
    }
    return (DaprClientImpl) builder.build();
  }

  /**
   * The stub the apps call daprd with (the facade publishes, the subscribers keep their idempotency records): on the
   * SDK's one channel and with the SDK's interceptors (the API token; the configured timeout as each call's
   * deadline), but with gRPC's callbacks run on its event loop. The SDK's own calls hand every answer to gRPC's
   * executor, a thread switch per call; answering on the event loop cut the facade's CPU per request to ~0.9 of that
   * (BENCHMARKS.md, round 14). What runs downstream of an answer must therefore not block: it only completes
   * requests and queues writes and log lines. A call may also end sooner than the timeout ({@link CallDeadline}).
   */
  @Bean
  @ConditionalOnMissingBean(DaprGrpc.DaprStub.class)
  DaprGrpc.DaprStub daprStub(DaprClient dapr) {
    return dapr.newGrpcStub(null, channel -> DaprGrpc.newStub(ClientInterceptors.intercept(channel, new CallDeadline()))
        .withExecutor(MoreExecutors.directExecutor()));
  }

  @Bean
  SidecarWarmUp sidecarWarmUp(DaprGrpc.DaprStub dapr, DaprSidecarProperties sidecar) {
    return new SidecarWarmUp(dapr, sidecar);
  }
}
