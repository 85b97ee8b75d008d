package dev.fanout.subscriber;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.fanout.platform.event.FollowerAdded;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * A slow handler keeps its claim, and so does every event of its batch until the batch's effects are recorded;
 * then the renewals stop. Against the in-memory state store, renewing every 100 ms instead of 2 s.
 */
class ClaimKeeperTest {

  static final Duration RENEWAL = Duration.ofMillis(100);

  final InMemoryStateStore daprd = new InMemoryStateStore();
  final IdempotencyStore idempotency = new IdempotencyStore(new SidecarState(IdempotencyStore.STORE, daprd.stub()),
      Clock.systemUTC(), Duration.ofSeconds(6), Duration.ofDays(1), Duration.ofDays(7));
  final ClaimKeeper keeper = new ClaimKeeper(idempotency, RENEWAL);
  final Sinks.Empty<Void> slowEffect = Sinks.empty();
  final EventDelivery delivery = new EventDelivery(
      event -> event.id().equals("slow") ? slowEffect.asMono() : Mono.empty(), idempotency,
      new SubscriptionMetrics(new SimpleMeterRegistry()), new FanOutLatency(Clock.systemUTC()), keeper);

  @AfterEach
  void close() {
    keeper.destroy();
    daprd.close();
  }

  @Test
  void renewsTheClaimWhileTheHandlerWorksAndStopsWhenItIsDone() {
    idempotency.claimAll(List.of("evt-1"), "token-1").block();
    long claimed = expiry("evt-1");
    var handlerDone = Sinks.<String>one();

    var work = keeper.whileWorking(List.of("evt-1"), "token-1", handlerDone.asMono()).subscribe();
    await().atMost(Duration.ofSeconds(5)).until(() -> expiry("evt-1") > claimed);
    long renewed = expiry("evt-1");
    await().atMost(Duration.ofSeconds(5)).until(() -> expiry("evt-1") > renewed);

    handlerDone.tryEmitValue("done");
    awaitNoMoreRenewalsOf("evt-1");
    assertThat(work.isDisposed()).isTrue();
  }

  @Test
  void keepsRenewingAfterARenewalThatThrew() {
    var throwOnce = new AtomicBoolean(true);
    var failingOnce = new IdempotencyStore(new SidecarState(IdempotencyStore.STORE, daprd.stub()), Clock.systemUTC(),
        Duration.ofSeconds(6), Duration.ofDays(1), Duration.ofDays(7)) {
      @Override
      Mono<Void> renew(String eventId, String token) {
        if (throwOnce.getAndSet(false)) {
          throw new IllegalStateException("channel shut down");
        }
        return super.renew(eventId, token);
      }
    };
    var keeperOfIt = new ClaimKeeper(failingOnce, RENEWAL);
    try {
      failingOnce.claimAll(List.of("evt-3"), "token-3").block();
      long claimed = expiry("evt-3");

      var work = keeperOfIt.whileWorking(List.of("evt-3"), "token-3", Sinks.<String>one().asMono()).subscribe();

      await().atMost(Duration.ofSeconds(5)).until(() -> expiry("evt-3") > claimed);
      assertThat(throwOnce).as("the first renewal threw").isFalse();
      work.dispose();
    } finally {
      keeperOfIt.destroy();
    }
  }

  @Test
  void neverRenewsAClaimAnotherDeliveryHolds() {
    daprd.put("claim|evt-2", new IdempotencyStore.Lease("other-delivery", System.currentTimeMillis()).encode());
    var never = Sinks.<String>one();

    var work = keeper.whileWorking(List.of("evt-2"), "token-2", never.asMono()).subscribe();
    await().during(RENEWAL.multipliedBy(5)).atMost(Duration.ofSeconds(5))
        .until(() -> daprd.valueOf("claim|evt-2").startsWith("other-delivery@"));
    work.dispose();
  }

  @Test
  void keepsTheClaimOfAnEventHandledFirstAliveUntilTheBatchsSlowestEffectIsRecorded() {
    var answer = delivery.deliverAll(List.of(event("fast"), event("slow"))).toFuture();
    await().atMost(Duration.ofSeconds(5)).until(() -> daprd.contains("claim|fast"));

    // "fast" had its effect at once; its done record waits for "slow"'s. Until then a redelivered copy of it must
    // find a live lease, not one that ran out and may be taken over (a second effect).
    long claimed = expiry("fast");
    await().atMost(Duration.ofSeconds(5)).until(() -> expiry("fast") > claimed);
    long renewed = expiry("fast");
    await().atMost(Duration.ofSeconds(5)).until(() -> expiry("fast") > renewed);
    assertThat(daprd.contains("done|fast")).isFalse();

    slowEffect.tryEmitEmpty();
    assertThat(answer.join()).isEqualTo(Map.of("fast", DeliveryStatus.SUCCESS, "slow", DeliveryStatus.SUCCESS));
    assertThat(daprd.contains("done|fast")).isTrue();
    awaitNoMoreRenewalsOf("fast");
  }

  /**
   * The claim's expiry stays put for five renewal periods. Not from the moment the work ended: a renewal that had
   * started before may still land once (harmless: the event's done record answers its copies).
   */
  private void awaitNoMoreRenewalsOf(String eventId) {
    var seen = new AtomicLong(expiry(eventId));
    await().during(RENEWAL.multipliedBy(5)).atMost(Duration.ofSeconds(5))
        .until(() -> seen.getAndSet(expiry(eventId)) == seen.get());
  }

  private long expiry(String eventId) {
    return IdempotencyStore.Lease.decode(daprd.valueOf("claim|" + eventId)).expiresAtMillis();
  }

  private static ReceivedEvent event(String id) {
    return new ReceivedEvent(id, "4bf92f3577b34da6a3ce929d0e0e4736",
        new FollowerAdded("alice", "bob", Instant.parse("2025-01-02T03:04:05Z")));
  }
}
