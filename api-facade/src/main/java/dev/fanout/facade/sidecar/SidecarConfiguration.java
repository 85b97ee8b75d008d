package dev.fanout.facade.sidecar;

import io.dapr.client.DaprClient;
import io.dapr.client.DaprClientBuilder;
import io.dapr.client.resiliency.ResiliencyOptions;
import io.dapr.config.Properties;
import java.time.Clock;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.reactive.function.client.WebClient;

@Configuration(proxyBeanMethods = false)
class SidecarConfiguration {

  /** One client, one gRPC channel, for the life of the app. */
  @Bean(destroyMethod = "close")
  DaprClient daprClient(DaprSidecarProperties sidecar) {
    var builder = new DaprClientBuilder()
        .withPropertyOverride(Properties.SIDECAR_IP, sidecar.host())
        .withPropertyOverride(Properties.HTTP_PORT, String.valueOf(sidecar.httpPort()))
        .withPropertyOverride(Properties.GRPC_PORT, String.valueOf(sidecar.grpcPort()))
        // Publishing is retried by daprd itself (components/resiliency.yaml, outbound); a retry here would
        // only hold the client longer. The timeout becomes the gRPC deadline of each call.
        .withResiliencyOptions(new ResiliencyOptions().setTimeout(sidecar.publishTimeout()).setMaxRetries(0));
    if (sidecar.apiToken() != null && !sidecar.apiToken().isBlank()) {
      builder.withPropertyOverride(Properties.API_TOKEN, sidecar.apiToken());
    }
    return builder.build();
  }

  @Bean
  SidecarHealthIndicator sidecarHealthIndicator(WebClient.Builder webClient, DaprSidecarProperties sidecar) {
    return new SidecarHealthIndicator(webClient, sidecar);
  }

  @Bean
  Clock clock() {
    return Clock.systemUTC();
  }
}
