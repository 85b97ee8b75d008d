package dev.fanout.e2e;

import static dev.fanout.e2e.Fanout.awaitHandledByAll;
import static dev.fanout.e2e.Fanout.follow;
import static dev.fanout.e2e.Fanout.handled;
import static dev.fanout.e2e.Fanout.pending;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The fan-out itself, through real daprd sidecars and Redis: every accepted event reaches every service once. */
@ExtendWith(E2eStack.class)
class FanOutIT {

  @Test
  void aFollowIsAcceptedAndHandledExactlyOnceByEachSubscriber() {
    var response = follow("alice", "bob");

    assertThat(response.status()).isEqualTo(202);
    String eventId = response.eventId();
    assertThat(eventId).matches("[0-9a-f-]{36}");
    awaitHandledByAll(List.of(eventId), Duration.ofSeconds(30));
    awaitNothingPending();
    for (String subscriber : Fanout.SUBSCRIBERS) {
      assertThat(handled(subscriber, List.of(eventId))).as(subscriber).containsExactly(Map.entry(eventId, 1L));
    }
  }

  @Test
  void namesInAnyScriptReachBothServicesComposedWhateverFormTheyCameIn() {
    // "José" typed as an "e" and a combining accent (NFD); "बोब", whose vowel sign is a combining mark in any form.
    var response = follow("Jose\u0301", "\u092C\u094B\u092C");

    assertThat(response.status()).isEqualTo(202);
    String eventId = response.eventId();
    awaitHandledByAll(List.of(eventId), Duration.ofSeconds(30));
    assertThat(E2eStack.logs().of(E2eStack.EMAIL, line -> line.contains("(event " + eventId + ")")))
        .singleElement().extracting(LogRecorder.Line::text).asString()
        .contains("to=[Jos\u00E9@users.example]", "\u092C\u094B\u092C started following you");
    assertThat(E2eStack.pushGateway().userOf(eventId)).isEqualTo("Jos\u00E9");
  }

  @Test
  void aFollowRetriedWithTheSameIdempotencyKeyIsOneEventHandledOnceByEachSubscriber() {
    // A client answered 503 cannot know whether its event was stored, and retries: both tries reach the broker here.
    var key = Map.of("Idempotency-Key", "\"" + UUID.randomUUID() + "\"");
    String body = "{\"userId\":\"carol\",\"followerId\":\"dave\"}";
    var first = Fanout.post("application/json", body, key);
    var retry = Fanout.post("application/json", body, key);

    assertThat(List.of(first.status(), retry.status())).containsExactly(202, 202);
    String eventId = first.eventId();
    assertThat(retry.eventId()).isEqualTo(eventId);
    awaitHandledByAll(List.of(eventId), Duration.ofSeconds(30));
    for (String subscriber : Fanout.SUBSCRIBERS) {
      await(subscriber + " has taken both copies").atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(200)).until(() -> Fanout.drained(subscriber));
      // Both copies reached the app, so the one effect is the subscriber's doing, not a publish that never happened.
      assertThat(Fanout.deliveries(subscriber, eventId)).as(subscriber + " received").isGreaterThanOrEqualTo(2);
      assertThat(handled(subscriber, List.of(eventId))).as(subscriber).containsExactly(Map.entry(eventId, 1L));
    }
  }

  @Test
  void fiveHundredConcurrentFollowsAreEachHandledOnceByEachSubscriber() throws Exception {
    int events = 500;
    long start = System.nanoTime();
    List<String> eventIds = new ArrayList<>();
    ExecutorService clients = Executors.newFixedThreadPool(32);
    try {
      var responses = IntStream.range(0, events)
          .mapToObj(i -> CompletableFuture.supplyAsync(() -> follow("user" + i, "follower" + i), clients))
          .toList();
      for (var response : responses) {
        assertThat(response.get().status()).isEqualTo(202);
        eventIds.add(response.get().eventId());
      }
    } finally {
      clients.shutdown();
    }
    long accepted = System.nanoTime();
    assertThat(eventIds).doesNotHaveDuplicates().hasSize(events);

    awaitHandledByAll(eventIds, Duration.ofSeconds(120));
    long drained = System.nanoTime();
    awaitNothingPending();

    long duplicates = 0;
    long lost = 0;
    var summary = new StringBuilder();
    for (String subscriber : Fanout.SUBSCRIBERS) {
      Map<String, Long> counts = handled(subscriber, eventIds);
      long twice = counts.values().stream().filter(count -> count > 1).count();
      duplicates += twice;
      lost += events - counts.size();
      summary.append(String.format(" %s=%d", subscriber, counts.size()));
      assertThat(counts).as(subscriber + " handled every event").hasSize(events);
      assertThat(twice).as(subscriber + " events handled more than once").isZero();
    }
    System.out.printf("e2e summary: sent=%d accepted=%d handled:%s duplicates=%d lost=%d "
            + "accept-time=%.1fs drain-time=%.1fs (after the last 202)%n",
        events, eventIds.size(), summary, duplicates, lost, (accepted - start) / 1e9, (drained - accepted) / 1e9);
  }

  /** Every delivery acknowledged: nothing left that Redis could hand out a second time. */
  static void awaitNothingPending() {
    for (String subscriber : Fanout.SUBSCRIBERS) {
      await(subscriber + " has acknowledged everything").atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(200)).until(() -> pending(subscriber) == 0);
    }
  }
}
