package dev.fanout.facade.sidecar;

import dev.fanout.platform.sidecar.DaprSidecarProperties;
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
  Clock clock() {
    return Clock.systemUTC();
  }
}
