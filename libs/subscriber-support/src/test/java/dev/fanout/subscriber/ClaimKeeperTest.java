package dev.fanout.subscriber;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Sinks;

/** A slow handler keeps its claim; a finished one stops renewing it. Against the in-memory state store. */
class ClaimKeeperTest {

  static final Duration RENEWAL = Duration.ofMillis(100);

  final InMemoryStateStore daprd = new InMemoryStateStore();
  final IdempotencyStore idempotency = new IdempotencyStore(new SidecarState(IdempotencyStore.STORE, daprd.stub()),
      Clock.systemUTC(), Duration.ofSeconds(6), Duration.ofDays(1), Duration.ofDays(7));
  final ClaimKeeper keeper = new ClaimKeeper(idempotency, RENEWAL);

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

    var work = keeper.whileWorking("evt-1", "token-1", handlerDone.asMono()).subscribe();
    await().atMost(Duration.ofSeconds(5)).until(() -> expiry("evt-1") > claimed);
    long renewed = expiry("evt-1");
    await().atMost(Duration.ofSeconds(5)).until(() -> expiry("evt-1") > renewed);

    handlerDone.tryEmitValue("done");
    long last = expiry("evt-1");
    await().during(RENEWAL.multipliedBy(5)).atMost(Duration.ofSeconds(5)).until(() -> expiry("evt-1") == last);
    assertThat(work.isDisposed()).isTrue();
  }

  @Test
  void neverRenewsAClaimAnotherDeliveryHolds() {
    daprd.put("claim|evt-2", new IdempotencyStore.Lease("other-delivery", System.currentTimeMillis()).encode());
    var never = Sinks.<String>one();

    var work = keeper.whileWorking("evt-2", "token-2", never.asMono()).subscribe();
    await().during(RENEWAL.multipliedBy(5)).atMost(Duration.ofSeconds(5))
        .until(() -> daprd.valueOf("claim|evt-2").startsWith("other-delivery@"));
    work.dispose();
  }

  private long expiry(String eventId) {
    return IdempotencyStore.Lease.decode(daprd.valueOf("claim|" + eventId)).expiresAtMillis();
  }
}
