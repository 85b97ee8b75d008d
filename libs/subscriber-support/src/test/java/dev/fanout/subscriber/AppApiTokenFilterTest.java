package dev.fanout.subscriber;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.web.reactive.AutoConfigureWebTestClient;
import org.springframework.boot.test.autoconfigure.web.reactive.WebFluxTest;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

/** With APP_API_TOKEN set, only a caller presenting it (our own daprd) reaches the Dapr routes. */
@WebFluxTest(properties = {
    "spring.application.name=" + SubscriberTestApplication.NAME,
    "dapr.sidecar.app-api-token=" + AppApiTokenFilterTest.TOKEN})
@AutoConfigureWebTestClient(timeout = "30s")
class AppApiTokenFilterTest {

  static final String TOKEN = "s3cret-app-token";

  private static final String EVENT = DaprDelivery.batch(DaprDelivery.cloudEvent("evt-token", """
      {"userId": "alice", "followerId": "bob", "followedAt": "2025-01-02T03:04:05Z"}"""));

  @Autowired
  WebTestClient client;

  @Autowired
  SubscriberTestApplication.ScriptedHandler handler;

  @Autowired
  InMemoryStateStore stateStore;

  @BeforeEach
  void reset() {
    handler.reset();
    stateStore.clear();
  }

  @Test
  void refusesAnEventPostedWithoutTheToken() {
    postEvent(null)
        .expectStatus().isUnauthorized()
        .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON);

    assertThat(handler.received()).isEmpty();
  }

  @Test
  void refusesAnEventPostedWithAnotherToken() {
    postEvent("guessed-token").expectStatus().isUnauthorized();

    assertThat(handler.received()).isEmpty();
  }

  @Test
  void handlesAnEventPostedWithTheToken() {
    postEvent(TOKEN)
        .expectStatus().isOk()
        .expectBody().jsonPath("$.statuses[0].status").isEqualTo("SUCCESS");

    assertThat(handler.received()).extracting(ReceivedEvent::id).containsExactly("evt-token");
  }

  @Test
  void refusesTheSubscriptionListWithoutTheToken() {
    client.get().uri("/dapr/subscribe").exchange().expectStatus().isUnauthorized();
  }

  @Test
  void answersTheSubscriptionListWithTheToken() {
    client.get().uri("/dapr/subscribe").header(AppApiTokenFilter.HEADER, TOKEN)
        .exchange()
        .expectStatus().isOk()
        .expectBody().jsonPath("$[?(@.route == '/followerAdded')].topic").isEqualTo("followerAdded");
  }

  @Test
  void leavesTheHealthCheckOpen() {
    // daprd's and the orchestrator's probes do not carry the token.
    client.get().uri("/healthz").exchange().expectStatus().isOk();
  }

  private WebTestClient.ResponseSpec postEvent(String token) {
    var request = client.post().uri("/followerAdded")
        .contentType(MediaType.APPLICATION_JSON);
    if (token != null) {
      request.header(AppApiTokenFilter.HEADER, token);
    }
    return request.bodyValue(EVENT).exchange();
  }
}
