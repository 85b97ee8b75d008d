package dev.fanout.facade.sidecar;

import dev.fanout.platform.sidecar.DaprSidecarProperties;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.ReactiveHealthIndicator;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Mono;

/**
 * The facade can only accept events while its daprd can publish them, so readiness includes the sidecar's own
 * health ({@code GET /v1.0/healthz}, exempt from the API token). Registered as {@code sidecar}.
 */
class SidecarHealthIndicator implements ReactiveHealthIndicator {

  private final WebClient client;
  private final DaprSidecarProperties sidecar;

  SidecarHealthIndicator(WebClient.Builder builder, DaprSidecarProperties sidecar) {
    this.client = builder.baseUrl("http://" + sidecar.host() + ":" + sidecar.httpPort()).build();
    this.sidecar = sidecar;
  }

  @Override
  public Mono<Health> health() {
    return client.get().uri("/v1.0/healthz")
        .retrieve()
        .toBodilessEntity()
        .map(response -> Health.up().withDetail("daprd", sidecar.host() + ":" + sidecar.httpPort()).build())
        .timeout(sidecar.healthTimeout())
        .onErrorResume(error -> Mono.just(Health.down()
            .withDetail("daprd", sidecar.host() + ":" + sidecar.httpPort())
            .withDetail("error", error.toString())
            .build()));
  }
}
