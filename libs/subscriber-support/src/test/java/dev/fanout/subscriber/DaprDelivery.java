package dev.fanout.subscriber;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * Posts {@code followerAdded} events to a subscriber as its daprd would, in a bulk delivery, and checks what daprd
 * requires of the answer: 200, and one status per entry, whatever the outcome. Shared with the notification
 * services' tests through this module's test-jar.
 */
public final class DaprDelivery {

  public static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

  /** Delivers the event {@code eventId} (alice is followed by bob), alone in its batch. */
  public static Answer deliver(WebTestClient client, String eventId) {
    return deliverBatch(client, batch(cloudEvent(eventId, """
        {"userId": "alice", "followerId": "bob", "followedAt": "2025-01-02T03:04:05Z"}""")));
  }

  /** Posts a body made by {@link #batch} and reads each entry's status, in the order of the entries. */
  public static Answer deliverBatch(WebTestClient client, String body) {
    Map<String, List<Map<String, String>>> answer = client.post().uri("/followerAdded")
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue(body)
        .exchange()
        .expectStatus().isOk()
        .expectBody(new ParameterizedTypeReference<Map<String, List<Map<String, String>>>>() { })
        .returnResult().getResponseBody();
    assertThat(answer).containsOnlyKeys("statuses");
    Map<String, String> byEntry = answer.get("statuses").stream()
        .collect(Collectors.toMap(status -> status.get("entryId"), status -> status.get("status")));
    int entries = body.split("\"entryId\"", -1).length - 1;
    List<String> entryIds = IntStream.range(0, entries).mapToObj(i -> "entry-" + i).toList();
    assertThat(byEntry).as("one status per entry").containsOnlyKeys(entryIds);
    return new Answer(entryIds.stream().map(byEntry::get).toList());
  }

  /** What daprd posts to a bulk route: these events (raw JSON) as entries {@code entry-0}, {@code entry-1}, … */
  public static String batch(String... events) {
    return IntStream.range(0, events.length)
        .mapToObj(i -> """
            {"entryId": "entry-%d", "event": %s, "contentType": "application/cloudevents+json",
             "metadata": {"pubsubName": "pubsub"}}""".formatted(i, events[i]))
        .collect(Collectors.joining(",\n", """
            {"id": "batch-1", "topic": "followerAdded", "pubsubname": "pubsub", "type": "com.dapr.event.sent.bulk",
             "entries": [""", "]}"));
  }

  /** A CloudEvent as daprd delivers it, with {@code data} given as raw JSON. */
  public static String cloudEvent(String id, String data) {
    return """
        {"id": "%s", "source": "api-facade", "type": "dev.fanout.followerAdded.v1", "specversion": "1.0",
         "datacontenttype": "application/json", "pubsubname": "pubsub", "topic": "followerAdded",
         "traceparent": "%s", "data": %s}""".formatted(id, TRACEPARENT, data);
  }

  /** The statuses answered for the entries of a delivery, in the order of the entries. */
  public record Answer(List<String> statuses) {

    public void answers(String... expected) {
      assertThat(statuses).containsExactly(expected);
    }
  }

  private DaprDelivery() {
  }
}
