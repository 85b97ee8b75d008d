package dev.fanout.subscriber;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fanout.platform.event.FollowerAdded;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.web.reactive.AutoConfigureWebTestClient;
import org.springframework.boot.test.autoconfigure.web.reactive.WebFluxTest;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.http.MediaType;
import org.springframework.test.json.JsonCompareMode;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The subscription as daprd sees it: the announcement on {@code /dapr/subscribe} and the status answered for each
 * entry of a bulk delivery. The handler is scripted, so that every outcome of a real notification service can be provoked.
 */
@WebFluxTest(properties = "spring.application.name=" + SubscriberTestApplication.NAME)
@AutoConfigureWebTestClient(timeout = "30s")
class FollowerAddedSubscriptionTest {

  private static final MediaType CLOUD_EVENTS_JSON = MediaType.parseMediaType("application/cloudevents+json");
  private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String ALICE_BY_BOB = """
      {"userId": "alice", "followerId": "bob", "followedAt": "2025-01-02T03:04:05Z"}""";

  @Autowired
  WebTestClient client;

  @Autowired
  SubscriberTestApplication.ScriptedHandler handler;

  @Autowired
  InMemoryStateStore stateStore;

  @Autowired
  FanOutLatency latency;

  @Autowired
  SubscriberTestApplication.MovableClock clock;

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
    deliver(cloudEvent("evt-1", ALICE_BY_BOB)).answers("SUCCESS");

    assertThat(handler.received()).containsExactly(new ReceivedEvent("evt-1", TRACE_ID,
        new FollowerAdded("alice", "bob", Instant.parse("2025-01-02T03:04:05Z"))));
  }

  @Test
  void takesTheTraceIdFromTheTraceparentHeaderWhenTheEventCarriesNone() {
    String headerTraceId = "0af7651916cd43dd8448eb211c80319c";
    String event = """
        {"id": "evt-2", "source": "api-facade", "type": "dev.fanout.followerAdded.v1", "specversion": "1.0",
         "datacontenttype": "application/json", "data": %s}""".formatted(ALICE_BY_BOB);

    client.post().uri("/followerAdded")
        .contentType(MediaType.APPLICATION_JSON)
        .header("traceparent", "00-" + headerTraceId + "-b7ad6b7169203331-01")
        .bodyValue(DaprDelivery.batch(event))
        .exchange()
        .expectStatus().isOk()
        .expectBody().jsonPath("$.statuses[0].status").isEqualTo("SUCCESS");

    assertThat(handler.received()).extracting(ReceivedEvent::traceId).containsExactly(headerTraceId);
  }

  @Test
  void answersRetryForAnEventTheHandlerDroppedAndDoesNotTryItAgain() {
    // Not DROP: daprd 1.16 dead-letters a DROP answered on a retry by the wrong index (see the class comment).
    // Retried until daprd's retries run out, the event reaches the dead-letter topic by daprd's own path.
    handler.answerWith(Mono.error(new PermanentDeliveryFailure("gateway said 400")));

    deliver(cloudEvent("evt-3", ALICE_BY_BOB)).answers("RETRY");
    deliver(cloudEvent("evt-3", ALICE_BY_BOB)).answers("RETRY");

    assertThat(handler.received()).extracting(ReceivedEvent::id).as("tried once").containsExactly("evt-3");
    assertThat(stateStore.contains("dropped|evt-3")).isTrue();
  }

  @Test
  void neitherTriesAgainNorTakesOverAnEventDroppedBeforeWhoseClaimRanOut() {
    // The dropped event's claim is kept, not renewed: past its lease the record of the drop keeps it from a retry.
    stateStore.put("claim|evt-22", dead().encode());
    stateStore.put("dropped|evt-22", "gateway said 400");

    deliver(cloudEvent("evt-22", ALICE_BY_BOB)).answers("RETRY");

    assertThat(handler.received()).isEmpty();
    assertThat(stateStore.valueOf("claim|evt-22")).as("not taken over").startsWith("dead-delivery@");
  }

  @Test
  void answersRetryWhenTheHandlerFailsOtherwise() {
    handler.answerWith(Mono.error(new IllegalStateException("gateway unreachable")));

    deliver(cloudEvent("evt-4", ALICE_BY_BOB)).answers("RETRY");

    assertThat(handler.received()).extracting(ReceivedEvent::id).containsExactly("evt-4");

    // The claim was released: the next delivery, within the lease, takes the event over and handles it.
    handler.answerWith(Mono.empty());
    deliver(cloudEvent("evt-4", ALICE_BY_BOB)).answers("SUCCESS");
    assertThat(handler.received()).extracting(ReceivedEvent::id).containsExactly("evt-4", "evt-4");
  }

  @Test
  void answersEachEntryOfABatchByItsOwnOutcome() {
    handler.answerFor("evt-b2", Mono.error(new IllegalStateException("gateway unreachable")));
    handler.answerFor("evt-b3", Mono.error(new PermanentDeliveryFailure("gateway said 400")));

    deliver(cloudEvent("evt-b1", ALICE_BY_BOB), cloudEvent("evt-b2", ALICE_BY_BOB),
        cloudEvent("evt-b3", ALICE_BY_BOB), cloudEvent("evt-b4", "null"), cloudEvent("evt-b5", ALICE_BY_BOB))
        .answers("SUCCESS", "RETRY", "RETRY", "DROP", "SUCCESS");

    assertThat(handler.received()).extracting(ReceivedEvent::id)
        .containsExactlyInAnyOrder("evt-b1", "evt-b2", "evt-b3", "evt-b5");
    assertThat(stateStore.contains("done|evt-b1")).isTrue();
    assertThat(stateStore.contains("done|evt-b5")).isTrue();
    assertThat(stateStore.contains("done|evt-b2")).as("not handled, so not recorded").isFalse();
    assertThat(stateStore.contains("claim|evt-b1")).as("the claim stays, as the event's record").isTrue();
    assertThat(stateStore.valueOf("claim|evt-b2")).as("released for the next delivery")
        .isEqualTo(IdempotencyStore.RELEASED.encode());
  }

  @Test
  void aHandlerThatThrowsFailsOnlyItsOwnEventOfTheBatch() {
    handler.throwFor("evt-t2", new IllegalStateException("thrown, not returned"));

    deliver(cloudEvent("evt-t1", ALICE_BY_BOB), cloudEvent("evt-t2", ALICE_BY_BOB)).answers("SUCCESS", "RETRY");

    assertThat(stateStore.contains("done|evt-t1")).as("its effect happened, so it is recorded").isTrue();
    assertThat(stateStore.valueOf("claim|evt-t2")).isEqualTo(IdempotencyStore.RELEASED.encode());
  }

  @Test
  void handlesAnEventWhoseAcceptanceTimeIsCenturiesAway() {
    String ancient = """
        {"userId": "alice", "followerId": "bob", "followedAt": "1000-01-01T00:00:00Z"}""";

    deliver(cloudEvent("evt-ancient", ancient), cloudEvent("evt-now", ALICE_BY_BOB)).answers("SUCCESS", "SUCCESS");

    assertThat(stateStore.contains("done|evt-ancient")).isTrue();
  }

  @Test
  void handlesAnEventOnceWhenTwoEntriesOfABatchCarryIt() {
    String event = cloudEvent("evt-twice", ALICE_BY_BOB);

    deliver(event, event).answers("SUCCESS", "SUCCESS");

    assertThat(handler.received()).extracting(ReceivedEvent::id).containsExactly("evt-twice");
  }

  @Test
  void recordsWhenEachEventOfADeliveryArrivedAndWhenItsEffectHappened() {
    latency.sinceLastRead(); // the interval starts here: the context is shared with the other tests

    deliver(cloudEvent("evt-r1", ALICE_BY_BOB), cloudEvent("evt-r2", ALICE_BY_BOB)).answers("SUCCESS", "SUCCESS");

    Map<String, Object> read = latency.sinceLastRead();
    assertThat(read).containsEntry("count", 2L);
    assertThat(read.get("receipt")).asInstanceOf(InstanceOfAssertFactories.MAP).containsEntry("count", 2L);
  }

  @Test
  void timesTheArrivalWhenTheDeliveryCameNotOnceItsBodyWasDecoded() {
    latency.sinceLastRead();
    Instant accepted = clock.instant();
    byte[] body = DaprDelivery.batch(cloudEvent("evt-arrival", """
        {"userId": "alice", "followerId": "bob", "followedAt": "%s"}""".formatted(accepted)))
        .getBytes(StandardCharsets.UTF_8);
    int half = body.length / 2;
    // The body's second half comes 10 s (by the clock) after the delivery: decoding it ends after that.
    Flux<DataBuffer> slowBody = Flux.concat(
        Mono.fromSupplier(() -> DefaultDataBufferFactory.sharedInstance.wrap(Arrays.copyOf(body, half))),
        Mono.fromSupplier(() -> {
          clock.advance(Duration.ofSeconds(10));
          return DefaultDataBufferFactory.sharedInstance.wrap(Arrays.copyOfRange(body, half, body.length));
        }));

    client.post().uri("/followerAdded").contentType(MediaType.APPLICATION_JSON)
        .body(slowBody, DataBuffer.class)
        .exchange()
        .expectStatus().isOk()
        .expectBody().jsonPath("$.statuses[0].status").isEqualTo("SUCCESS");

    Map<String, Object> read = latency.sinceLastRead();
    assertThat((double) read.get("maxMs")).as("the effect, after the decoding").isCloseTo(10_000.0, Offset.offset(10.0));
    assertThat(read.get("receipt")).as("the arrival, before it").asInstanceOf(InstanceOfAssertFactories.MAP)
        .containsEntry("count", 1L).containsEntry("maxMs", 0.0);
  }

  @Test
  void answersDropForAnUndecodableEntryAndHandlesTheOthers() {
    // A 400 would make daprd redeliver forever; the entry will not parse any better next time.
    deliver("\"not a cloud event\"", "{\"id\": [\"evt-5\"], \"data\": 1}", cloudEvent("evt-5b", ALICE_BY_BOB))
        .answers("DROP", "DROP", "SUCCESS");

    assertThat(handler.received()).extracting(ReceivedEvent::id).containsExactly("evt-5b");
  }

  @Test
  void answersDropForAnEntryWithoutAnEvent() {
    deliver("null").answers("DROP");

    assertThat(handler.received()).isEmpty();
  }

  @Test
  void refusesABodyThatIsNotABulkDeliveryWithAProblem() {
    client.post().uri("/followerAdded")
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"entries\": [")
        .exchange()
        .expectStatus().isBadRequest()
        .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON);

    assertThat(handler.received()).isEmpty();
  }

  @Test
  void answersDropForAnEventWithoutData() {
    deliver(cloudEvent("evt-6", "null")).answers("DROP");

    assertThat(handler.received()).isEmpty();
  }

  @Test
  void answersDropForAnEventWithABlankUserId() {
    deliver(cloudEvent("evt-7", """
        {"userId": "  ", "followerId": "bob", "followedAt": "2025-01-02T03:04:05Z"}""")).answers("DROP");

    assertThat(handler.received()).isEmpty();
  }

  @Test
  void answersDropForAnEventWithoutAFollowerId() {
    deliver(cloudEvent("evt-8", """
        {"userId": "alice", "followedAt": "2025-01-02T03:04:05Z"}""")).answers("DROP");

    assertThat(handler.received()).isEmpty();
  }

  @Test
  void answersDropForAnEventWithoutAnId() {
    deliver("""
        {"source": "api-facade", "type": "dev.fanout.followerAdded.v1", "specversion": "1.0",
         "datacontenttype": "application/json", "traceparent": "%s", "data": %s}"""
        .formatted(DaprDelivery.TRACEPARENT, ALICE_BY_BOB)).answers("DROP");

    assertThat(handler.received()).isEmpty();
  }

  @Test
  void handlesARedeliveredEventOnlyOnce() {
    String event = cloudEvent("evt-10", ALICE_BY_BOB);

    deliver(event).answers("SUCCESS");
    // daprd redelivers what it could not see acknowledged; the copy must not notify alice a second time.
    deliver(event, cloudEvent("evt-10b", ALICE_BY_BOB)).answers("SUCCESS", "SUCCESS");

    assertThat(handler.received()).extracting(ReceivedEvent::id).containsExactly("evt-10", "evt-10b");
  }

  @Test
  void remembersAHandledEventForAnHourAndItsClaimALeaseLonger() {
    deliver(cloudEvent("evt-12", ALICE_BY_BOB)).answers("SUCCESS");

    // An hour outlasts every copy but those of a service down for longer; seven days, as before, would hold ~600 GB
    // of records in Redis at 1000 events/s (README, "How long a handled event is remembered").
    assertThat(stateStore.ttlOf("done|evt-12")).isEqualTo(Duration.ofHours(1));
    assertThat(stateStore.ttlOf("claim|evt-12")).isEqualTo(Duration.ofHours(1).plusSeconds(6));
  }

  @Test
  void handlesARedeliveryOfAnEventWhoseHandlingFailed() {
    String event = cloudEvent("evt-11", ALICE_BY_BOB);
    handler.answerWith(Mono.error(new IllegalStateException("gateway unreachable")));
    deliver(event).answers("RETRY");

    handler.answerWith(Mono.empty());
    deliver(event).answers("SUCCESS");

    assertThat(handler.received()).extracting(ReceivedEvent::id).containsExactly("evt-11", "evt-11");
  }

  @Test
  void answersRetryWithoutHandlingWhenTheStateStoreIsUnreachable() {
    stateStore.goDown();

    deliver(cloudEvent("evt-12", ALICE_BY_BOB), cloudEvent("evt-12b", ALICE_BY_BOB)).answers("RETRY", "RETRY");

    assertThat(handler.received()).isEmpty();
  }

  @Test
  void answersRetryWithoutHandlingWhileAnotherDeliveryHoldsTheEventAndHandlesTheRestOfTheBatch() {
    // What a concurrent delivery of the same event, on this or another replica, leaves in the store. It makes
    // daprd's bulk save of the batch's claims fail, though it wrote the others.
    stateStore.put("claim|evt-13", "another delivery's token");

    deliver(cloudEvent("evt-13a", ALICE_BY_BOB), cloudEvent("evt-13", ALICE_BY_BOB),
        cloudEvent("evt-13b", ALICE_BY_BOB)).answers("SUCCESS", "RETRY", "SUCCESS");

    assertThat(handler.received()).extracting(ReceivedEvent::id).containsExactlyInAnyOrder("evt-13a", "evt-13b");
    assertThat(stateStore.contains("claim|evt-13")).as("the other delivery keeps its claim").isTrue();
  }

  @Test
  void takesOverAClaimWhoseHolderDiedBeforeItsTtlWasSet() {
    // daprd writes a claim and sets its TTL in two commands; killed in between, it leaves a claim that never
    // expires. Its lease names its expiry, long past here.
    stateStore.put("claim|evt-16", dead().encode());

    deliver(cloudEvent("evt-16", ALICE_BY_BOB)).answers("SUCCESS");

    assertThat(handler.received()).extracting(ReceivedEvent::id).containsExactly("evt-16");
    assertThat(stateStore.contains("done|evt-16")).isTrue();
    assertThat(stateStore.valueOf("claim|evt-16")).as("taken over").doesNotStartWith("dead-delivery@");
  }

  @Test
  void answersSuccessWithoutHandlingAnEventWhoseClaimOutlivedItsLeaseBecauseItWasHandled() {
    // A handled event keeps its claim as long as its done record, long after the lease in it ran out: a copy
    // redelivered then (its acknowledgement lost with a sidecar) must find it handled, not abandoned.
    stateStore.put("claim|evt-19", dead().encode());
    stateStore.put("done|evt-19", "done");

    deliver(cloudEvent("evt-19a", ALICE_BY_BOB), cloudEvent("evt-19", ALICE_BY_BOB)).answers("SUCCESS", "SUCCESS");

    assertThat(handler.received()).extracting(ReceivedEvent::id).containsExactly("evt-19a");
    assertThat(stateStore.valueOf("claim|evt-19")).as("not taken over").startsWith("dead-delivery@");
  }

  @Test
  void leavesAClaimJustPastItsExpiryToItsHolder() {
    // Within a lease's length past its expiry the holder may be alive, on a clock a little behind this one.
    stateStore.put("claim|evt-17", new IdempotencyStore.Lease("slow-clock", System.currentTimeMillis() - 1000).encode());

    deliver(cloudEvent("evt-17", ALICE_BY_BOB)).answers("RETRY");
    deadLetter("evt-17").expectBody().json("{\"status\":\"RETRY\"}", JsonCompareMode.STRICT);

    assertThat(handler.received()).isEmpty();
    assertThat(stateStore.valueOf("claim|evt-17")).startsWith("slow-clock@");
  }

  @Test
  void retriesADeadLetterWhoseClaimWasAbandonedFromTheDeadLetterTopic() {
    stateStore.put("claim|evt-18", dead().encode());

    deadLetter("evt-18").expectBody().json("{\"status\":\"SUCCESS\"}", JsonCompareMode.STRICT);

    assertThat(handler.received()).extracting(ReceivedEvent::id).containsExactly("evt-18");
  }

  /** The lease of a delivery whose sidecar was killed an hour ago, between writing its claim and its TTL. */
  private static IdempotencyStore.Lease dead() {
    return new IdempotencyStore.Lease("dead-delivery", System.currentTimeMillis() - 3_600_000);
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
  void remembersADeadLetteredOrDroppedEventForSevenDays() {
    // Rare records, kept long: an event failing for hours is reported and counted once, not once per hour.
    handler.answerWith(Mono.error(new IllegalStateException("gateway still unreachable")));
    deadLetter("evt-20").expectBody().json("{\"status\":\"RETRY\"}", JsonCompareMode.STRICT);
    handler.answerWith(Mono.error(new PermanentDeliveryFailure("gateway said 400")));
    deliver(cloudEvent("evt-21", ALICE_BY_BOB)).answers("RETRY");

    assertThat(stateStore.ttlOf("dead|evt-20")).isEqualTo(Duration.ofDays(7));
    assertThat(stateStore.ttlOf("dropped|evt-21")).isEqualTo(Duration.ofDays(7));
  }

  @Test
  void acknowledgesADeadLetterTheHandlerDroppedWithoutTryingAgain() {
    handler.answerWith(Mono.error(new PermanentDeliveryFailure("gateway said 400")));
    deliver(cloudEvent("evt-14", ALICE_BY_BOB)).answers("RETRY");

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
        .bodyValue(cloudEvent(id, ALICE_BY_BOB))
        .exchange()
        .expectStatus().isOk();
  }

  /** One bulk delivery of these events (raw JSON), as daprd posts it. */
  private DaprDelivery.Answer deliver(String... events) {
    return DaprDelivery.deliverBatch(client, DaprDelivery.batch(events));
  }

  private static String cloudEvent(String id, String data) {
    return DaprDelivery.cloudEvent(id, data);
  }
}
