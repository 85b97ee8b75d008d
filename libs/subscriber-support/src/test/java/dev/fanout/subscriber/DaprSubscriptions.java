package dev.fanout.subscriber;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * What every subscriber must announce on {@code GET /dapr/subscribe}: the followerAdded route with its own
 * dead-letter topic, and the dead-letter route. Shared with the notification services' tests through this
 * module's test-jar.
 */
public final class DaprSubscriptions {

  public static void assertAnnouncesFollowerAdded(WebTestClient client, String appId) {
    List<Map<String, Object>> subscriptions = client.get().uri("/dapr/subscribe")
        .exchange()
        .expectStatus().isOk()
        .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_JSON)
        .expectBody(new ParameterizedTypeReference<List<Map<String, Object>>>() { })
        .returnResult().getResponseBody();

    String deadLetterTopic = "followerAdded-dead-letter-" + appId;
    assertThat(subscriptions).containsExactlyInAnyOrder(
        Map.of("pubsubName", "pubsub", "topic", "followerAdded", "route", "/followerAdded",
            "deadLetterTopic", deadLetterTopic, "metadata", Map.of(),
            "bulkSubscribe", Map.of("enabled", true, "maxMessagesCount", FollowerAddedSubscription.MAX_BATCH,
                "maxAwaitDurationMs", FollowerAddedSubscription.MAX_AWAIT_MS)),
        Map.of("pubsubName", "pubsub", "topic", deadLetterTopic, "route", "/followerAdded/dead-letter",
            "metadata", Map.of()));
  }

  private DaprSubscriptions() {
  }
}
