package dev.fanout.facade.sidecar;

import com.google.common.util.concurrent.MoreExecutors;
import dev.fanout.platform.sidecar.DaprSidecarProperties;
import io.dapr.client.DaprClient;
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

  /**
   * The stub the facade publishes with: on the SDK's one channel to daprd and with the SDK's interceptors (the API
   * token; the configured timeout as each call's deadline), but with gRPC's callbacks run on its event loop. The
   * SDK's own calls hand every answer to gRPC's executor, a thread switch per call; answering on the event loop cut
   * the facade's CPU per request to ~0.9 of that (BENCHMARKS.md, round 14). The work downstream of an answer
   * (completing the requests, their 202s, their access lines, which only queue) does not wait, so it may run there.
   */
  @Bean
  DaprGrpc.DaprStub daprStub(DaprClient dapr) {
    return dapr.newGrpcStub(null, channel -> DaprGrpc.newStub(channel).withExecutor(MoreExecutors.directExecutor()));
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
