package dev.fanout.subscriber;

import java.time.Duration;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * Posts a {@code followerAdded} CloudEvent to a subscriber as its daprd would (alice is followed by bob), and
 * checks the HTTP status daprd requires: 200, whatever the outcome in the body. Shared with the notification
 * services' tests through this module's test-jar.
 */
public final class DaprDelivery {

  public static final MediaType CLOUD_EVENTS_JSON = MediaType.parseMediaType("application/cloudevents+json");

  public static WebTestClient.ResponseSpec deliver(WebTestClient client, String eventId) {
    return client.post().uri("/followerAdded")
        .contentType(CLOUD_EVENTS_JSON)
        .bodyValue("""
            {"id": "%s", "source": "api-facade", "type": "dev.fanout.followerAdded.v1",
             "specversion": "1.0", "datacontenttype": "application/json",
             "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
             "data": {"userId": "alice", "followerId": "bob", "followedAt": "2025-01-02T03:04:05Z"}}"""
            .formatted(eventId))
        .exchange()
        .expectStatus().isOk();
  }

  /** A client for a freshly started context: its first answers can take longer than the default 5 s on a busy host. */
  public static WebTestClient patient(WebTestClient client) {
    return client.mutate().responseTimeout(Duration.ofSeconds(30)).build();
  }

  private DaprDelivery() {
  }
}
