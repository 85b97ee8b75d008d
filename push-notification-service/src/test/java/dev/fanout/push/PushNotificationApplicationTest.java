package dev.fanout.push;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.test.web.reactive.server.WebTestClient;

/** The service exactly as configured, started alone: on a real port, with no daprd next to it. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class PushNotificationApplicationTest {

  @Autowired
  WebTestClient client;

  @BeforeEach
  void allowForABusyMachine() {
    // The first requests to a fresh context can take longer than WebTestClient's default 5s on a loaded host.
    client = client.mutate().responseTimeout(Duration.ofSeconds(30)).build();
  }

  @Test
  void startsAloneAndAnnouncesTheFollowerAddedSubscription() {
    List<Map<String, Object>> subscriptions = client.get().uri("/dapr/subscribe")
        .exchange()
        .expectStatus().isOk()
        .expectBody(new ParameterizedTypeReference<List<Map<String, Object>>>() { })
        .returnResult().getResponseBody();

    String deadLetterTopic = "followerAdded-dead-letter-push-notification-service";
    assertThat(subscriptions).containsExactlyInAnyOrder(
        Map.of("pubsubName", "pubsub", "topic", "followerAdded", "route", "/followerAdded",
            "deadLetterTopic", deadLetterTopic, "metadata", Map.of()),
        Map.of("pubsubName", "pubsub", "topic", deadLetterTopic, "route", "/followerAdded/dead-letter",
            "metadata", Map.of()));
  }
}
