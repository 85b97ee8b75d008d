package dev.fanout.subscriber;

import dev.fanout.subscriber.SidecarState.Record;
import dev.fanout.subscriber.SidecarState.Write;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * Which events this service has handled, durably, in the Dapr state store (components/statestore.yaml) on the
 * broker's Redis, shared by the service's replicas and surviving their restarts.
 *
 * <p>Two keys per event: {@code claim|id}, a lease held by the one delivery that works on the event (written
 * first-write-wins, renewed while it works); and {@code done|id} once the effect happened. The claim is not
 * deleted then: it stays as long as the done record, so that a fresh event costs only its claim and its done
 * record, and nothing needs to be read unless the claim call fails. A refused claim is an event handled before (its
 * {@code done} tells), held by a live delivery (retried later, by which time that one has finished or failed),
 * released by a delivery whose handler failed, or held by a dead one: its lease, which names its expiry, ran out
 * more than a lease's length ago (a margin for clocks that disagree). Released and dead claims are taken over by
 * their ETag. Twice the lease is shorter than the broker's processingTimeout, so the copy redelivered after a crash
 * takes it over. The lease's own expiry, not the record's TTL, is what frees it: outside a transaction (renewals,
 * releases) daprd's Redis store writes a record and its TTL in two commands, and a sidecar killed between them
 * leaves a record without TTL (FaultsIT caught one).
 *
 * <p>A batch of fresh events costs two calls whatever its size ({@link #claimAll}, {@link #markDoneAll}), each one
 * transaction, which daprd's Redis store sends in one round trip (a bulk save is two round trips per key); reading
 * which events were handled before claiming would cost a third call and a read per event (BENCHMARKS.md, rounds 10
 * and 11). Claims written in a transaction are not marked first-write-wins in Redis, so a replica still running an
 * earlier build, which claimed by a bulk save without an ETag, would write over them: upgrade a service's replicas
 * together.
 * {@code done} is written last-write-wins on purpose: daprd's Redis store refuses a write without an ETag over a
 * record written first-write-wins, and recording an effect must be repeatable. For the same reason the claim
 * cannot become the done record itself: only a first-write-wins write can keep other claims out, and only its
 * ETag, which the write does not return, could then change it.
 */
class IdempotencyStore {

  static final String STORE = "statestore";

  private static final Logger log = LoggerFactory.getLogger(FollowerAddedSubscription.class);

  /**
   * The ETag of a record that does not exist: no record has a version below 1. Daprd's Redis store writes over a
   * record only when the ETag matches its version, and writes a missing record whatever the ETag; so a write with
   * this ETag succeeds only where there is no record yet. That makes first-write-wins possible inside a transaction,
   * which the store otherwise writes last-write-wins, but sends in one round trip.
   */
  static final String NO_RECORD = "-1";

  private final SidecarState state;
  private final Clock clock;
  private final Duration leaseLength;
  private final Duration claimTtl;
  private final Duration doneTtl;
  private final Duration deadLetterTtl;

  /**
   * @param leaseLength how long a claim is held without renewal
   * @param doneTtl how long a handled event is remembered. Its claim lives a lease longer: it was written first,
   *     and must not expire before the done record it stands for.
   * @param deadLetterTtl how long a dropped or dead-lettered event is remembered as such
   */
  IdempotencyStore(SidecarState state, Clock clock, Duration leaseLength, Duration doneTtl, Duration deadLetterTtl) {
    this.state = state;
    this.clock = clock;
    this.leaseLength = leaseLength;
    this.claimTtl = doneTtl.plus(leaseLength);
    this.doneTtl = doneTtl;
    this.deadLetterTtl = deadLetterTtl;
  }

  /** What claiming a batch found: the events this delivery now holds, those handled before and those dropped. */
  record Claims(Set<String> held, Set<String> done, Set<String> dropped) {
  }

  /**
   * A claim's value: which delivery holds it (a token per claiming call) and until when. Unreadable values (none
   * are written so) count as live: only their TTL ends them, as before leases named their expiry.
   */
  record Lease(String token, long expiresAtMillis) {

    String encode() {
      return token + "@" + expiresAtMillis;
    }

    static Lease decode(String value) {
      int at = value.lastIndexOf('@');
      try {
        return new Lease(value.substring(0, Math.max(at, 0)), Long.parseLong(value.substring(at + 1)));
      } catch (NumberFormatException | IndexOutOfBoundsException unreadable) {
        return new Lease(value, Long.MAX_VALUE);
      }
    }
  }

  /**
   * A released claim's value: no delivery's (theirs are UUIDs), expired since the epoch, so the next delivery takes
   * the event over at once.
   */
  static final Lease RELEASED = new Lease("released", 0);

  /** A new lease for the delivery with this token. */
  Lease lease(String token) {
    return new Lease(token, clock.millis() + leaseLength.toMillis());
  }

  /** Whether a claim is past its expiry by more than a lease's length: its holder is gone, its TTL never set. */
  private boolean abandoned(Lease lease) {
    return lease.expiresAtMillis() != Long.MAX_VALUE
        && clock.millis() > lease.expiresAtMillis() + leaseLength.toMillis();
  }

  /** Which events were handled already, and which dropped. */
  private record Outcomes(Set<String> done, Set<String> dropped) {
  }

  /** The outcomes of these events so far: one read of both records. */
  private Mono<Outcomes> outcomesAmong(Collection<String> eventIds) {
    List<String> keys = eventIds.stream().flatMap(id -> Stream.of("done|" + id, "dropped|" + id)).toList();
    return state.getAll(keys)
        .map(records -> new Outcomes(eventsWith("done|", records), eventsWith("dropped|", records)));
  }

  private static Set<String> eventsWith(String prefix, List<Record> records) {
    return records.stream().filter(record -> record.value() != null && record.key().startsWith(prefix))
        .map(record -> record.key().substring(prefix.length())).collect(Collectors.toSet());
  }

  /**
   * Claims the events for the delivery with this token: all of them, in the usual case of fresh events. A refused
   * claim fails the whole transaction, though the other claims of it were written (Redis has no rollback) and the
   * refused one's TTL renewed (harmless: a claim may outlive its done record); the claims carry the token, so that
   * reading them back tells which are ours. Of the others, those with a done record were handled before, those
   * with a dropped record were dropped; abandoned claims among the rest are taken over; the rest are held by live
   * deliveries. Claims missing after a failed transaction are claimed again (see {@link #sortOut}).
   */
  Mono<Claims> claimAll(Collection<String> eventIds, String token) {
    if (eventIds.isEmpty()) {
      return Mono.just(new Claims(Set.of(), Set.of(), Set.of()));
    }
    String lease = lease(token).encode();
    List<Write> claims = eventIds.stream()
        .map(id -> new Write(claimKey(id), lease, NO_RECORD, claimTtl, true)).toList();
    return state.upsertAll(claims)
        .then(Mono.fromSupplier(() -> new Claims(Set.copyOf(eventIds), Set.of(), Set.of())))
        .onErrorResume(failed -> claims(eventIds).flatMap(records -> sortOut(records, token, failed)));
  }

  /**
   * After a failed claim: which claims are ours, which events were handled or dropped, which claims to take over.
   *
   * <p>A transaction that was refused wrote all its other claims, so a claim still missing means the transaction
   * never reached Redis, or timed out on its way and may reach it yet. Such a claim is taken where there is still no
   * record: whichever of the two writes lands first, this one or the late transaction, holds the event for this
   * delivery (both carry its token), and the other is refused. Left to the late transaction, the claim would keep
   * every later delivery out for a lease with nobody working on the event. (Unless this write fails the same way:
   * then the lease runs out.)
   */
  private Mono<Claims> sortOut(List<Record> claims, String token, Throwable failure) {
    Set<String> ours = heldBy(token, claims);
    List<Record> missing = claims.stream().filter(claim -> claim.value() == null).toList();
    if (!missing.isEmpty()) {
      log.warn("followerAdded ids={} claimed again: their claims are missing after the claim call failed: {}",
          missing.stream().map(IdempotencyStore::eventId).toList(), failure.toString());
    }
    List<Record> others = claims.stream()
        .filter(claim -> claim.value() != null && !ours.contains(eventId(claim))).toList();
    if (others.isEmpty() && missing.isEmpty()) {
      return Mono.just(new Claims(ours, Set.of(), Set.of()));
    }
    // Only now the done and dropped records: the claim of a handled or dropped event outlives its lease, so it must
    // not be taken over.
    Mono<Outcomes> outcomes = others.isEmpty() ? Mono.just(new Outcomes(Set.of(), Set.of()))
        : outcomesAmong(others.stream().map(IdempotencyStore::eventId).toList());
    return outcomes.flatMap(found -> {
      List<Record> free = Stream.concat(missing.stream(), others.stream()
          .filter(claim -> !found.done().contains(eventId(claim)) && !found.dropped().contains(eventId(claim)))
          .filter(claim -> abandoned(Lease.decode(claim.value())))).toList();
      return free.isEmpty() ? Mono.just(new Claims(ours, found.done(), found.dropped()))
          : takeOver(free, token)
              .map(taken -> new Claims(union(ours, taken), found.done(), found.dropped()));
    });
  }

  /**
   * Takes these claims, each by the ETag read (a missing one where there is still none), and reads who holds them.
   * One transaction, as the first claim: one round trip, and each claim written with its TTL. The lease is made now,
   * not when the first claim call was: that call and the reads since may have taken seconds each, and a lease made
   * before them could be written already past its end, free for another delivery to take before its first renewal.
   */
  private Mono<Set<String>> takeOver(List<Record> free, String token) {
    String lease = lease(token).encode();
    free.stream().filter(claim -> claim.value() != null && !RELEASED.equals(Lease.decode(claim.value())))
        .forEach(claim -> log.warn("followerAdded id={} taking over a claim abandoned since {} ms ago: {}",
            eventId(claim), clock.millis() - Lease.decode(claim.value()).expiresAtMillis(), claim.value()));
    List<Write> takeovers = free.stream()
        .map(claim -> new Write(claim.key(), lease, claim.etag() == null ? NO_RECORD : claim.etag(), claimTtl, true))
        .toList();
    List<String> ids = free.stream().map(IdempotencyStore::eventId).toList();
    return state.upsertAll(takeovers)
        .onErrorResume(someoneElseWasFaster -> Mono.empty())
        .then(claims(ids))
        .map(claims -> heldBy(token, claims));
  }

  private Mono<List<Record>> claims(Collection<String> eventIds) {
    return state.getAll(eventIds.stream().map(IdempotencyStore::claimKey).toList());
  }

  /**
   * The events whose claims this delivery holds, after a failed claim call, with time left on the lease. A claim of
   * ours already past its lease is not counted: the failed transaction, which Redis may apply late, wrote a lease
   * made before it, and another delivery may take that claim over before our first renewal. Its event is answered
   * as held by another delivery, and comes again.
   */
  private Set<String> heldBy(String token, List<Record> claims) {
    long now = clock.millis();
    return claims.stream()
        .filter(claim -> heldBy(token, claim) && Lease.decode(claim.value()).expiresAtMillis() > now)
        .map(IdempotencyStore::eventId).collect(Collectors.toSet());
  }

  private static boolean heldBy(String token, Record claim) {
    return claim.value() != null && token.equals(Lease.decode(claim.value()).token());
  }

  private static Set<String> union(Set<String> a, Set<String> b) {
    var all = new HashSet<>(a);
    all.addAll(b);
    return all;
  }

  private static String claimKey(String eventId) {
    return "claim|" + eventId;
  }

  private static String eventId(Record claim) {
    return claim.key().substring("claim|".length());
  }

  /**
   * Records the effects, repeatably. One transaction rather than a bulk save: daprd's Redis store sends a
   * transaction in one round trip, a bulk save key by key. The claims stay, as the events' records.
   */
  Mono<Void> markDoneAll(Collection<String> eventIds) {
    return state.upsertAll(eventIds.stream().map(id -> new Write("done|" + id, "done", null, doneTtl, false)).toList());
  }

  Mono<Boolean> isDone(String eventId) {
    return state.get("done|" + eventId).map(done -> done.value() != null);
  }

  /** Whether some delivery holds a live lease on the event (it may still produce the effect). */
  Mono<Boolean> isClaimed(String eventId) {
    return state.get(claimKey(eventId))
        .map(claim -> claim.value() != null && !abandoned(Lease.decode(claim.value())));
  }

  /** Extends the lease of the delivery with this token, by the claim's ETag: never one another delivery holds. */
  Mono<Void> renew(String eventId, String token) {
    return state.get(claimKey(eventId)).flatMap(claim -> renew(claim, token));
  }

  /** {@link #renew} of the claim as read: refused if it changed since. */
  Mono<Void> renew(Record claim, String token) {
    return overwriteHeld(claim, token, lease(token));
  }

  /** Writes the claim as read, if this delivery holds it, by its ETag: refused if it changed since. */
  private Mono<Void> overwriteHeld(Record claim, String token, Lease lease) {
    return heldBy(token, claim) && claim.etag() != null
        ? state.saveAll(List.of(new Write(claim.key(), lease.encode(), claim.etag(), claimTtl, true)))
        : Mono.empty();
  }

  /** The handler found the event can never have its effect: the dead-letter route must not try it again. */
  Mono<Void> markDropped(String eventId, String reason) {
    return state.saveAll(List.of(new Write("dropped|" + eventId, reason, null, deadLetterTtl, true)));
  }

  Mono<Boolean> wasDropped(String eventId) {
    return state.get("dropped|" + eventId).map(dropped -> dropped.value() != null);
  }

  /** True the first time an event reaches the dead-letter route (so it is reported and counted once). */
  Mono<Boolean> firstDeadLetter(String eventId) {
    return state.saveAll(List.of(new Write("dead|" + eventId, "dead", null, deadLetterTtl, true)))
        .thenReturn(true)
        .onErrorReturn(false);
  }

  /**
   * The effect did not happen: lets the next delivery take the event over at once. The claim is marked released
   * under its ETag, not deleted: a renewal that read it just before would write a deleted claim back (a write with
   * an ETag goes through where there is no record), and keep the next deliveries out for a lease, long enough to
   * send the event to the dead-letter topic. Only this delivery's claim is released, never one taken over from it.
   */
  Mono<Void> release(String eventId, String token) {
    return state.get(claimKey(eventId))
        .flatMap(claim -> overwriteHeld(claim, token, RELEASED))
        .retry(2); // a renewal wrote in between: read its version and write again
  }
}
