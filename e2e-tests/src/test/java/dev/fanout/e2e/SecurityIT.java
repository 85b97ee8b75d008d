package dev.fanout.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fanout.runner.Pair;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Nobody but a service's own sidecar can feed it events, and nobody but the facade can publish them. */
@ExtendWith(E2eStack.class)
class SecurityIT {

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @Test
  void aForgedEventSentStraightToASubscriberIsRefusedAndHasNoEffect() throws Exception {
    String forgedId = UUID.randomUUID().toString();
    String event = "{\"id\":\"" + forgedId + "\",\"specversion\":\"1.0\",\"type\":\"dev.fanout.followerAdded.v1\","
        + "\"source\":\"mallory\",\"datacontenttype\":\"application/json\","
        + "\"data\":{\"userId\":\"alice\",\"followerId\":\"mallory\",\"followedAt\":\"2026-01-01T00:00:00Z\"}}";
    // Shaped as daprd's bulk delivery, the only body the route takes: refused for the missing token, not the shape.
    String delivery = "{\"entries\":[{\"entryId\":\"e-1\",\"event\":" + event + "}]}";
    for (String subscriber : Fanout.SUBSCRIBERS) {
      Pair pair = E2eStack.stack().pair(subscriber);
      URI route = pair.appUrl().resolve("/followerAdded");
      assertThat(send(route, delivery, null)).as(subscriber + " without a token").isEqualTo(401);
      assertThat(send(route, delivery, "not-the-token")).as(subscriber + " with a wrong token").isEqualTo(401);
      assertThat(send(pair.appUrl().resolve("/dapr/subscribe"), null, null)).isEqualTo(401);
    }
    assertThat(Fanout.handled(E2eStack.EMAIL, List.of(forgedId))).isEmpty();
    assertThat(Fanout.handled(E2eStack.PUSH, List.of(forgedId))).isEmpty();
  }

  @Test
  void aSidecarRefusesCallsWithoutItsAppsToken() throws Exception {
    Pair facade = E2eStack.stack().pair(E2eStack.FACADE);
    long before = Fanout.streamLength();

    assertThat(send(facade.daprHttpUrl().resolve("/v1.0/publish/pubsub/followerAdded"), "{}", null)).isEqualTo(401);
    assertThat(send(facade.daprHttpUrl().resolve("/v1.0/metadata"), null, null)).isEqualTo(401);
    assertThat(send(facade.daprHttpUrl().resolve("/v1.0/healthz"), null, null)).as("health stays open").isEqualTo(204);
    assertThat(Fanout.streamLength()).isEqualTo(before);
  }

  @Test
  void onlyTheFacadeMayPublishFollowerAdded() throws Exception {
    long before = Fanout.streamLength();
    for (String subscriber : Fanout.SUBSCRIBERS) {
      Pair pair = E2eStack.stack().pair(subscriber);
      int status = send(pair.daprHttpUrl().resolve("/v1.0/publish/pubsub/followerAdded"),
          "{\"userId\":\"alice\",\"followerId\":\"mallory\"}", pair.tokens().daprApiToken());
      assertThat(status).as("publish through " + subscriber + "'s own sidecar, with its token").isEqualTo(403);
    }
    assertThat(Fanout.streamLength()).as("nothing reached the broker").isEqualTo(before);
  }

  private static int send(URI uri, String body, String token) throws IOException, InterruptedException {
    var request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10));
    if (body == null) {
      request.GET();
    } else {
      request.POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/cloudevents+json");
    }
    if (token != null) {
      request.header("dapr-api-token", token);
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }
}
