package dev.fanout.subscriber;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Claiming and releasing against what touches the claims at the same moment: the service's renewal ticker, a
 * delivery that took the event over, a claim transaction that Redis applies after its caller gave up. Against the
 * in-memory state store, which writes as daprd's Redis store does.
 */
class IdempotencyStoreTest {

  final InMemoryStateStore daprd = new InMemoryStateStore();
  final SidecarState state = new SidecarState(IdempotencyStore.STORE, daprd.stub());
  final IdempotencyStore idempotency = new IdempotencyStore(state, Clock.systemUTC(), Duration.ofSeconds(6),
      Duration.ofDays(1), Duration.ofDays(7));

  @AfterEach
  void close() {
    daprd.close();
  }

  @Test
  void aRenewalThatReadTheClaimBeforeItsReleaseDoesNotBringItBack() {
    idempotency.claimAll(List.of("evt-1"), "token-1").block();
    var readByTheTicker = state.get("claim|evt-1").block();

    idempotency.release("evt-1", "token-1").block();
    assertThatThrownBy(() -> idempotency.renew(readByTheTicker, "token-1").block())
        .as("the renewal's write, by the ETag it read").hasStackTraceContaining("etag mismatch");

    assertThat(idempotency.isClaimed("evt-1").block()).as("free for the next delivery").isFalse();
    assertThat(idempotency.claimAll(List.of("evt-1"), "token-2").block().held()).containsExactly("evt-1");
  }

  @Test
  void aReleaseAfterARenewalStillReleases() {
    idempotency.claimAll(List.of("evt-2"), "token-1").block();
    idempotency.renew("evt-2", "token-1").block();

    idempotency.release("evt-2", "token-1").block();

    assertThat(daprd.valueOf("claim|evt-2")).isEqualTo(IdempotencyStore.RELEASED.encode());
    assertThat(idempotency.isClaimed("evt-2").block()).isFalse();
  }

  @Test
  void aReleaseThatARenewalOvertookBetweenItsReadAndItsWriteReadsAgainAndReleases() {
    idempotency.claimAll(List.of("evt-4"), "token-1").block();
    daprd.beforeNextSave("claim|evt-4", () -> idempotency.renew("evt-4", "token-1").block());

    idempotency.release("evt-4", "token-1").block();

    assertThat(daprd.valueOf("claim|evt-4")).isEqualTo(IdempotencyStore.RELEASED.encode());
  }

  @Test
  void neverReleasesAClaimAnotherDeliveryTookOver() {
    String theirs = new IdempotencyStore.Lease("token-2", System.currentTimeMillis() + 6000).encode();
    daprd.put("claim|evt-3", theirs);

    idempotency.release("evt-3", "token-1").block();

    assertThat(daprd.valueOf("claim|evt-3")).isEqualTo(theirs);
    assertThat(idempotency.isClaimed("evt-3").block()).isTrue();
  }

  @Test
  void aClaimTransactionThatTimesOutBeforeRedisAppliesItStillGivesThisDeliveryTheEvent() {
    var appliedLate = daprd.answerNextTransactionLate();

    var claims = idempotency.claimAll(List.of("evt-5", "evt-6"), "token-1").block();

    assertThat(claims.held()).as("claimed again where there was no record")
        .containsExactlyInAnyOrder("evt-5", "evt-6");
    assertThat(appliedLate.get()).as("the late transaction, refused: it would have written claims nobody renews")
        .containsExactlyInAnyOrder("claim|evt-5", "claim|evt-6");
  }

  @Test
  void aClaimTransactionThatRedisAppliesJustBeforeTheClaimIsTakenAgainStillGivesThisDeliveryTheEvent() {
    var appliedLate = daprd.answerNextTransactionLate();
    var refusedLate = new ArrayList<String>();
    daprd.beforeNextSave("claim|evt-7", () -> refusedLate.addAll(appliedLate.get()));

    var claims = idempotency.claimAll(List.of("evt-7"), "token-1").block();

    assertThat(refusedLate).as("the late transaction landed first").isEmpty();
    assertThat(claims.held()).as("its claim carries this delivery's token").containsExactly("evt-7");
  }

  @Test
  void aClaimTakenAgainAfterASlowFailedCallLeasesFromThenNotFromBeforeTheCall() {
    var clock = new SlowCallClock(1_000_000);
    var slow = new IdempotencyStore(state, clock, Duration.ofSeconds(6), Duration.ofDays(1), Duration.ofDays(7));
    daprd.answerNextTransactionLate(); // and never applied

    var claims = slow.claimAll(List.of("evt-8"), "token-1").block();

    assertThat(claims.held()).containsExactly("evt-8");
    assertThat(IdempotencyStore.Lease.decode(daprd.valueOf("claim|evt-8")).expiresAtMillis())
        .as("6 s from when it was written").isEqualTo(1_000_000 + 10_000 + 6_000);
  }

  @Test
  void aLateClaimOfOursAlreadyPastItsLeaseIsNotTakenForHeld() {
    var clock = new SlowCallClock(1_000_000);
    var slow = new IdempotencyStore(state, clock, Duration.ofSeconds(6), Duration.ofDays(1), Duration.ofDays(7));
    var appliedLate = daprd.answerNextTransactionLate();
    daprd.beforeNextSave("claim|evt-9", appliedLate::get); // Redis gets to it 10 s late, just before the retake

    var claims = slow.claimAll(List.of("evt-9"), "token-1").block();

    // Its lease ended at 1 006 000: another delivery may take it over from 1 012 000, before a first renewal.
    assertThat(claims.held()).as("answered as held by another delivery, to come again").isEmpty();
    assertThat(IdempotencyStore.Lease.decode(daprd.valueOf("claim|evt-9")))
        .isEqualTo(new IdempotencyStore.Lease("token-1", 1_006_000));
  }

  /** Reads t0 once, then t0 + 10 s ever after: the first claim call, and the reads after its failure, were slow. */
  private static final class SlowCallClock extends Clock {

    private final AtomicInteger reads = new AtomicInteger();
    private final long t0;

    SlowCallClock(long t0) {
      this.t0 = t0;
    }

    @Override
    public long millis() {
      return reads.getAndIncrement() == 0 ? t0 : t0 + 10_000;
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(millis());
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }
}
