package dev.fanout.platform.sidecar;

import io.dapr.client.DaprClient;
import io.dapr.client.DaprClientBuilder;
import io.dapr.client.DaprClientImpl;
import io.dapr.client.resiliency.ResiliencyOptions;
import io.dapr.config.Properties;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * The one client each app has to its own daprd: one gRPC channel for the life of the app. Declared as the SDK's
 * implementation, which is both the stable {@link DaprClient} and the {@code DaprPreviewClient}, so that either can
 * be injected and both share the channel; so do stubs made with {@link DaprClient#newGrpcStub} (the facade's).
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
}
