package dev.fanout.facade.sidecar;

import dev.fanout.platform.sidecar.DaprSidecarProperties;
import io.dapr.v1.DaprGrpc;
import java.time.Clock;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.reactive.function.client.WebClient;

@Configuration(proxyBeanMethods = false)
class SidecarConfiguration {

  @Bean
  SidecarHealthIndicator sidecarHealthIndicator(WebClient.Builder webClient, DaprSidecarProperties sidecar) {
    return new SidecarHealthIndicator(webClient, sidecar);
  }

  @Bean
  SidecarWarmUp sidecarWarmUp(DaprGrpc.DaprStub dapr, DaprSidecarProperties sidecar) {
    return new SidecarWarmUp(dapr, sidecar);
  }

  @Bean
  Clock clock() {
    return Clock.systemUTC();
  }
}
