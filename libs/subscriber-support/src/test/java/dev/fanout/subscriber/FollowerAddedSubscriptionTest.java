package dev.fanout.subscriber;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fanout.platform.event.FollowerAdded;
import java.time.Instant;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.web.reactive.AutoConfigureWebTestClient;
import org.springframework.boot.test.autoconfigure.web.reactive.WebFluxTest;
import org.springframework.http.MediaType;
import org.springframework.test.json.JsonCompareMode;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.core.publisher.Mono;

/**
 * The subscription as daprd sees it: the announcement on {@code /dapr/subscribe} and the status answered for each
 * delivery. The handler is scripted, so that every outcome of a real notification service can be provoked.
 */
@WebFluxTest(properties = "spring.application.name=" + SubscriberTestApplication.NAME)
@AutoConfigureWebTestClient(timeout = "30s")
class FollowerAddedSubscriptionTest {

  private static final MediaType CLOUD_EVENTS_JSON = MediaType.parseMediaType("application/cloudevents+json");
  private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String TRACEPARENT = "00-" + TRACE_ID + "-00f067aa0ba902b7-01";

  @Autowired
  WebTestClient client;

  @Autowired
  SubscriberTestApplication.ScriptedHandler handler;

  @Autowired
  InMemoryStateStore stateStore;

  @BeforeEach
  void reset() {
    // The context, and so these beans, are shared by every test of the class.
    handler.reset();
    stateStore.clear();
  }

  @Test
  void announcesTheFollowerAddedRouteAndItsDeadLetterRoute() {
    DaprSubscriptions.assertAnnouncesFollowerAdded(client, SubscriberTestApplication.NAME);
  }

  @Test
  void answersSuccessAndHandsTheEventToTheHandler() {
    post(cloudEvent("evt-1", """
        {"userId": "alice", "followerId": "bob", "followedAt": "2025-01-02T03:04:05Z"}"""))
        .expectStatus().isOk()
        .expectBody().json("{\"status\":\"SUCCESS\"}", JsonCompareMode.STRICT);

    assertThat(handler.received()).containsExactly(new ReceivedEvent("evt-1", TRACE_ID,
        new FollowerAdded("alice", "bob", Instant.parse("2025-01-02T03:04:05Z"))));
  }

  @Test
  void takesTheTraceIdFromTheTraceparentHeaderWhenTheEventCarriesNone() {
    String headerTraceId = "0af7651916cd43dd8448eb211c80319c";
    String event = """
        {"id": "evt-2", "source": "api-facade", "type": "dev.fanout.followerAdded.v1", "specversion": "1.0",
         "datacontenttype": "application/json",
         "data": {"userId": "alice", "followerId": "bob", "followedAt": "2025-01-02T03:04:05Z"}}""";

    client.post().uri("/followerAdded")
        .contentType(CLOUD_EVENTS_JSON)
        .header("traceparent", "00-" + headerTraceId + "-b7ad6b7169203331-01")
        .bodyValue(event)
        .exchange()
        .expectStatus().isOk()
        .expectBody().json("{\"status\":\"SUCCESS\"}", JsonCompareMode.STRICT);

    assertThat(handler.received()).extracting(ReceivedEvent::traceId).containsExactly(headerTraceId);
  }

  @Test
  void answersDropWhenTheHandlerFailsPermanently() {
    handler.answerWith(Mono.error(new PermanentDeliveryFailure("gateway said 400")));

    post(cloudEvent("evt-3", """
        {"userId": "alice", "followerId": "bob", "followedAt": "2025-01-02T03:04:05Z"}"""))
        .expectStatus().isOk()
        .expectBody().json("{\"status\":\"DROP\"}", JsonCompareMode.STRICT);

    assertThat(handler.received()).extracting(ReceivedEvent::id).containsExactly("evt-3");
  }

  @Test
  void answersRetryWhenTheHandlerFailsOtherwise() {
    handler.answerWith(Mono.error(new IllegalStateException("gateway unreachable")));

    post(cloudEvent("evt-4", """
        {"userId": "alice", "followerId": "bob", "followedAt": "2025-01-02T03:04:05Z"}"""))
        .expectStatus().isOk()
        .expectBody().json("{\"status\":\"RETRY\"}", JsonCompareMode.STRICT);

    assertThat(handler.received()).extracting(ReceivedEvent::id).containsExactly("evt-4");
  }

  @Test
  void answersDropForMalformedJson() {
    // A 400 would make daprd redeliver forever; the body will not parse any better next time.
    post("{\"id\": \"evt-5\", \"data\": {")
        .expectStatus().isOk()
        .expectBody().json("{\"status\":\"DROP\"}", JsonCompareMode.STRICT);

    assertThat(handler.received()).isEmpty();
  }

  @Test
  void answersDropForAnEmptyBody() {
    client.post().uri("/followerAdded")
        .contentType(CLOUD_EVENTS_JSON)
        .exchange()
        .expectStatus().isOk()
        .expectBody().json("{\"status\":\"DROP\"}", JsonCompareMode.STRICT);

    assertThat(handler.received()).isEmpty();
  }

  @Test
  void answersDropForAnEventWithoutData() {
    post(cloudEvent("evt-6", "null"))
        .expectStatus().isOk()
        .expectBody().json("{\"status\":\"DROP\"}", JsonCompareMode.STRICT);

    assertThat(handler.received()).isEmpty();
  }

  @Test
  void answersDropForAnEventWithABlankUserId() {
    post(cloudEvent("evt-7", """
        {"userId": "  ", "followerId": "bob", "followedAt": "2025-01-02T03:04:05Z"}"""))
        .expectStatus().isOk()
        .expectBody().json("{\"status\":\"DROP\"}", JsonCompareMode.STRICT);

    assertThat(handler.received()).isEmpty();
  }

  @Test
  void answersDropForAnEventWithoutAFollowerId() {
    post(cloudEvent("evt-8", """
        {"userId": "alice", "followedAt": "2025-01-02T03:04:05Z"}"""))
        .expectStatus().isOk()
        .expectBody().json("{\"status\":\"DROP\"}", JsonCompareMode.STRICT);

    assertThat(handler.received()).isEmpty();
  }

  @Test
  void answersDropForAnEventWithoutAnId() {
    String event = """
        {"source": "api-facade", "type": "dev.fanout.followerAdded.v1", "specversion": "1.0",
         "datacontenttype": "application/json", "traceparent": "%s",
         "data": {"userId": "alice", "followerId": "bob", "followedAt": "2025-01-02T03:04:05Z"}}"""
        .formatted(TRACEPARENT);

    post(event)
        .expectStatus().isOk()
        .expectBody().json("{\"status\":\"DROP\"}", JsonCompareMode.STRICT);

    assertThat(handler.received()).isEmpty();
  }

  @Test
  void handlesARedeliveredEventOnlyOnce() {
    String event = cloudEvent("evt-10", """
        {"userId": "alice", "followerId": "bob", "followedAt": "2025-01-02T03:04:05Z"}""");

    post(event).expectBody().json("{\"status\":\"SUCCESS\"}", JsonCompareMode.STRICT);
    // daprd redelivers what it could not see acknowledged; the copy must not notify alice a second time.
    post(event).expectBody().json("{\"status\":\"SUCCESS\"}", JsonCompareMode.STRICT);

    assertThat(handler.received()).extracting(ReceivedEvent::id).containsExactly("evt-10");
  }

  @Test
  void handlesARedeliveryOfAnEventWhoseHandlingFailed() {
    String event = cloudEvent("evt-11", """
        {"userId": "alice", "followerId": "bob", "followedAt": "2025-01-02T03:04:05Z"}""");
    handler.answerWith(Mono.error(new IllegalStateException("gateway unreachable")));
    post(event).expectBody().json("{\"status\":\"RETRY\"}", JsonCompareMode.STRICT);

    handler.answerWith(Mono.empty());
    post(event).expectBody().json("{\"status\":\"SUCCESS\"}", JsonCompareMode.STRICT);

    assertThat(handler.received()).extracting(ReceivedEvent::id).containsExactly("evt-11", "evt-11");
  }

  @Test
  void answersRetryWithoutHandlingWhenTheStateStoreIsUnreachable() {
    stateStore.goDown();

    post(cloudEvent("evt-12", """
        {"userId": "alice", "followerId": "bob", "followedAt": "2025-01-02T03:04:05Z"}"""))
        .expectStatus().isOk()
        .expectBody().json("{\"status\":\"RETRY\"}", JsonCompareMode.STRICT);

    assertThat(handler.received()).isEmpty();
  }

  @Test
  void answersRetryWithoutHandlingWhileAnotherDeliveryHoldsTheEvent() {
    // What a concurrent delivery of the same event, on this or another replica, leaves in the store.
    stateStore.put("claim|evt-13", "claimed");

    post(cloudEvent("evt-13", """
        {"userId": "alice", "followerId": "bob", "followedAt": "2025-01-02T03:04:05Z"}"""))
        .expectStatus().isOk()
        .expectBody().json("{\"status\":\"RETRY\"}", JsonCompareMode.STRICT);

    assertThat(handler.received()).isEmpty();
  }

  @Test
  void retriesAnEventThatRanOutOfRetriesFromTheDeadLetterTopicUntilItsEffectHappens() {
    handler.answerWith(Mono.error(new IllegalStateException("gateway still unreachable")));
    deadLetter("evt-9").expectBody().json("{\"status\":\"RETRY\"}", JsonCompareMode.STRICT);

    handler.answerWith(Mono.empty());
    deadLetter("evt-9").expectBody().json("{\"status\":\"SUCCESS\"}", JsonCompareMode.STRICT);

    assertThat(handler.received()).extracting(ReceivedEvent::id).containsExactly("evt-9", "evt-9");
    assertThat(stateStore.contains("done|evt-9")).isTrue();
    assertThat(stateStore.contains("dead|evt-9")).as("reported and counted once").isTrue();
  }

  @Test
  void acknowledgesADeadLetterTheHandlerDroppedWithoutTryingAgain() {
    handler.answerWith(Mono.error(new PermanentDeliveryFailure("gateway said 400")));
    post(cloudEvent("evt-14", """
        {"userId": "alice", "followerId": "bob", "followedAt": "2025-01-02T03:04:05Z"}"""))
        .expectBody().json("{\"status\":\"DROP\"}", JsonCompareMode.STRICT);

    deadLetter("evt-14").expectBody().json("{\"status\":\"SUCCESS\"}", JsonCompareMode.STRICT);

    assertThat(handler.received()).as("tried once, on the topic route only").hasSize(1);
  }

  @Test
  void acknowledgesADeadLetterOfAnEventAlreadyHandled() {
    stateStore.put("done|evt-15", "done");

    deadLetter("evt-15").expectBody().json("{\"status\":\"SUCCESS\"}", JsonCompareMode.STRICT);

    assertThat(handler.received()).isEmpty();
  }

  private WebTestClient.ResponseSpec deadLetter(String id) {
    return client.post().uri("/followerAdded/dead-letter")
        .contentType(CLOUD_EVENTS_JSON)
        .bodyValue(cloudEvent(id, """
            {"userId": "alice", "followerId": "bob", "followedAt": "2025-01-02T03:04:05Z"}"""))
        .exchange()
        .expectStatus().isOk();
  }

  private WebTestClient.ResponseSpec post(String body) {
    return client.post().uri("/followerAdded")
        .contentType(CLOUD_EVENTS_JSON)
        .bodyValue(body)
        .exchange();
  }

  /** A CloudEvent as daprd delivers it, with {@code data} given as raw JSON. */
  private static String cloudEvent(String id, String data) {
    return """
        {"id": "%s", "source": "api-facade", "type": "dev.fanout.followerAdded.v1", "specversion": "1.0",
         "datacontenttype": "application/json", "pubsubname": "pubsub", "topic": "followerAdded",
         "traceparent": "%s", "data": %s}""".formatted(id, TRACEPARENT, data);
  }
}
