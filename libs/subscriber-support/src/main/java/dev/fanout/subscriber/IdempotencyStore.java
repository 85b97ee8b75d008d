package dev.fanout.subscriber;

import io.dapr.client.DaprClient;
import io.dapr.client.domain.State;
import io.dapr.client.domain.StateOptions;
import io.dapr.client.domain.TransactionalStateOperation;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * Which events this service has handled, durably, in the Dapr state store (components/statestore.yaml) on the
 * broker's Redis, shared by the service's replicas and surviving their restarts.
 *
 * <p>Two keys per event: {@code claim|id}, a lease held by the one delivery that works on the event (written
 * first-write-wins, renewed while it works and expiring soon after its holder died); and {@code done|id} once the
 * effect happened. A redelivered copy that finds {@code done} has no second effect; one that finds a live claim is
 * retried later, by which time the first has finished or failed. The lease (claimTtl) is shorter than the broker's
 * processingTimeout, so that the copy the broker redelivers after a crash finds it expired.
 *
 * <p>A batch of events costs three calls whatever its size ({@link #doneAmong}, {@link #claimAll},
 * {@link #markDoneAll}). {@code done} is written last-write-wins on purpose: daprd's Redis store refuses a write
 * without an ETag over a record written first-write-wins, and recording an effect must be repeatable.
 *
 * <p>A claim names its own expiry ({@link Lease}), besides its TTL: daprd's Redis store writes a record and sets
 * its TTL in two commands, so a sidecar killed between them leaves a claim that never expires, and its event would
 * be refused as "held elsewhere" forever (FaultsIT caught one). A claim past its expiry, plus a lease's length of
 * margin for clocks that disagree, is taken over by its ETag.
 */
class IdempotencyStore {

  static final String STORE = "statestore";

  private static final Logger log = LoggerFactory.getLogger(FollowerAddedSubscription.class);

  private static final StateOptions FIRST_WRITE =
      new StateOptions(StateOptions.Consistency.STRONG, StateOptions.Concurrency.FIRST_WRITE);

  private final DaprClient dapr;
  private final Clock clock;
  private final Duration leaseLength;
  private final Map<String, String> claimTtl;
  private final Map<String, String> doneTtl;

  IdempotencyStore(DaprClient dapr, Clock clock, Duration claimTtl, Duration doneTtl) {
    this.dapr = dapr;
    this.clock = clock;
    this.leaseLength = claimTtl;
    this.claimTtl = Map.of("ttlInSeconds", String.valueOf(claimTtl.toSeconds()));
    this.doneTtl = Map.of("ttlInSeconds", String.valueOf(doneTtl.toSeconds()));
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

  /** A new lease for the delivery with this token. */
  Lease lease(String token) {
    return new Lease(token, clock.millis() + leaseLength.toMillis());
  }

  /** Whether a claim is past its expiry by more than a lease's length: its holder is gone, its TTL never set. */
  private boolean abandoned(Lease lease) {
    return lease.expiresAtMillis() != Long.MAX_VALUE
        && clock.millis() > lease.expiresAtMillis() + leaseLength.toMillis();
  }

  /** Which of these events were handled already. */
  Mono<Set<String>> doneAmong(Collection<String> eventIds) {
    return dapr.getBulkState(STORE, eventIds.stream().map(id -> "done|" + id).toList(), String.class)
        .map(states -> states.stream().filter(state -> state.getValue() != null)
            .map(state -> state.getKey().substring("done|".length())).collect(Collectors.toSet()));
  }

  /**
   * The events the delivery with this token now holds: all of them, unless another delivery holds some. A refused
   * claim fails daprd's whole bulk save, though the other claims of it were written; the claims carry the token, so
   * that reading them back tells which are ours. Abandoned claims among the others are taken over.
   */
  Mono<Set<String>> claimAll(Collection<String> eventIds, String token) {
    if (eventIds.isEmpty()) {
      return Mono.just(Set.of());
    }
    String lease = lease(token).encode();
    List<State<?>> claims = eventIds.stream()
        .<State<?>>map(id -> new State<>(claimKey(id), lease, null, claimTtl, FIRST_WRITE)).toList();
    return dapr.saveBulkState(STORE, claims)
        .then(Mono.fromSupplier(() -> Set.copyOf(eventIds)))
        .onErrorResume(someRefused -> claims(eventIds).flatMap(states -> {
          Set<String> ours = heldBy(token, states);
          List<State<String>> abandoned = states.stream()
              .filter(state -> state.getValue() != null && !ours.contains(eventId(state)))
              .filter(state -> abandoned(Lease.decode(state.getValue()))).toList();
          return abandoned.isEmpty() ? Mono.just(ours) : takeOver(abandoned, lease, token)
              .map(taken -> union(ours, taken));
        }));
  }

  private Mono<Set<String>> takeOver(List<State<String>> abandoned, String lease, String token) {
    abandoned.forEach(state -> log.warn("followerAdded id={} taking over a claim abandoned since {} ms ago: {}",
        eventId(state), clock.millis() - Lease.decode(state.getValue()).expiresAtMillis(), state.getValue()));
    List<State<?>> takeovers = abandoned.stream()
        .<State<?>>map(state -> new State<>(state.getKey(), lease, state.getEtag(), claimTtl, FIRST_WRITE)).toList();
    List<String> ids = abandoned.stream().map(IdempotencyStore::eventId).toList();
    return dapr.saveBulkState(STORE, takeovers)
        .onErrorResume(someoneElseWasFaster -> Mono.empty())
        .then(claims(ids))
        .map(states -> heldBy(token, states));
  }

  private Mono<List<State<String>>> claims(Collection<String> eventIds) {
    return dapr.getBulkState(STORE, eventIds.stream().map(IdempotencyStore::claimKey).toList(), String.class);
  }

  private static Set<String> heldBy(String token, List<State<String>> claims) {
    return claims.stream()
        .filter(state -> state.getValue() != null && token.equals(Lease.decode(state.getValue()).token()))
        .map(IdempotencyStore::eventId).collect(Collectors.toSet());
  }

  private static Set<String> union(Set<String> a, Set<String> b) {
    var all = new java.util.HashSet<>(a);
    all.addAll(b);
    return all;
  }

  private static String claimKey(String eventId) {
    return "claim|" + eventId;
  }

  private static String eventId(State<?> claim) {
    return claim.getKey().substring("claim|".length());
  }

  /** Records the effects and lets go of their claims, in one transaction that can be repeated. */
  Mono<Void> markDoneAll(Collection<String> eventIds) {
    var operations = new ArrayList<TransactionalStateOperation<?>>(eventIds.size() * 2);
    for (String id : eventIds) {
      operations.add(new TransactionalStateOperation<>(TransactionalStateOperation.OperationType.UPSERT,
          new State<>("done|" + id, "done", null, doneTtl, null)));
      operations.add(new TransactionalStateOperation<>(TransactionalStateOperation.OperationType.DELETE,
          new State<>(claimKey(id))));
    }
    return dapr.executeStateTransaction(STORE, operations);
  }

  Mono<Boolean> isDone(String eventId) {
    return dapr.getState(STORE, "done|" + eventId, String.class).map(state -> state.getValue() != null);
  }

  /** Whether some delivery holds a live lease on the event (it may still produce the effect). */
  Mono<Boolean> isClaimed(String eventId) {
    return dapr.getState(STORE, claimKey(eventId), String.class)
        .map(state -> state.getValue() != null && !abandoned(Lease.decode(state.getValue())));
  }

  /** Extends the lease of the delivery with this token, by the claim's ETag: never one another delivery holds. */
  Mono<Void> renew(String eventId, String token) {
    String key = claimKey(eventId);
    return dapr.getState(STORE, key, String.class)
        .filter(state -> state.getEtag() != null && state.getValue() != null
            && token.equals(Lease.decode(state.getValue()).token()))
        .flatMap(state -> dapr.saveBulkState(STORE,
            List.of(new State<>(key, lease(token).encode(), state.getEtag(), claimTtl, FIRST_WRITE))));
  }

  /** The handler found the event can never have its effect: the dead-letter route must not try it again. */
  Mono<Void> markDropped(String eventId, String reason) {
    return dapr.saveBulkState(STORE, List.of(new State<>("dropped|" + eventId, reason, null, doneTtl, FIRST_WRITE)));
  }

  Mono<Boolean> wasDropped(String eventId) {
    return dapr.getState(STORE, "dropped|" + eventId, String.class).map(state -> state.getValue() != null);
  }

  /** True the first time an event reaches the dead-letter route (so it is reported and counted once). */
  Mono<Boolean> firstDeadLetter(String eventId) {
    return dapr.saveBulkState(STORE, List.of(new State<>("dead|" + eventId, "dead", null, doneTtl, FIRST_WRITE)))
        .thenReturn(true)
        .onErrorReturn(false);
  }

  /** The effect did not happen: let the next delivery try. */
  Mono<Void> release(String eventId) {
    return dapr.deleteState(STORE, claimKey(eventId));
  }
}
