package dev.fanout.subscriber;

import io.dapr.client.DaprClient;
import io.dapr.client.domain.State;
import io.dapr.client.domain.StateOptions;
import io.dapr.client.domain.TransactionalStateOperation;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import reactor.core.publisher.Mono;

/**
 * Which events this service has handled, durably, in the Dapr state store (components/statestore.yaml) on the
 * broker's Redis, shared by the service's replicas and surviving their restarts.
 *
 * <p>Two keys per event, both written first-write-wins: {@code claim|id}, a lease held by the one delivery that
 * works on the event, renewed while it works and expiring soon after its holder died; and {@code done|id} once
 * the effect happened. A redelivered copy that finds {@code done} has no second effect; one that finds a live
 * claim is retried later, by which time the first has finished or failed. The lease (claimTtl) is shorter than
 * the broker's processingTimeout, so that the copy the broker redelivers after a crash finds it expired.
 */
class IdempotencyStore {

  static final String STORE = "statestore";

  private static final StateOptions FIRST_WRITE =
      new StateOptions(StateOptions.Consistency.STRONG, StateOptions.Concurrency.FIRST_WRITE);

  private final DaprClient dapr;
  private final Map<String, String> claimTtl;
  private final Map<String, String> doneTtl;

  IdempotencyStore(DaprClient dapr, Duration claimTtl, Duration doneTtl) {
    this.dapr = dapr;
    this.claimTtl = Map.of("ttlInSeconds", String.valueOf(claimTtl.toSeconds()));
    this.doneTtl = Map.of("ttlInSeconds", String.valueOf(doneTtl.toSeconds()));
  }

  Mono<Boolean> isDone(String eventId) {
    return dapr.getState(STORE, "done|" + eventId, String.class).map(state -> state.getValue() != null);
  }

  /** Whether some delivery holds a live lease on the event (it may still produce the effect). */
  Mono<Boolean> isClaimed(String eventId) {
    return dapr.getState(STORE, "claim|" + eventId, String.class).map(state -> state.getValue() != null);
  }

  /** Completes when this delivery holds the event; fails when another one does (or the store is unreachable). */
  Mono<Void> claim(String eventId) {
    return dapr.saveBulkState(STORE, List.of(new State<>("claim|" + eventId, "claimed", null, claimTtl, FIRST_WRITE)));
  }

  /** Extends this delivery's lease: first-write-wins still, so only with the current ETag of the claim. */
  Mono<Void> renew(String eventId) {
    String key = "claim|" + eventId;
    return dapr.getState(STORE, key, String.class)
        .filter(state -> state.getEtag() != null && state.getValue() != null)
        .flatMap(state -> dapr.saveBulkState(STORE,
            List.of(new State<>(key, "claimed", state.getEtag(), claimTtl, FIRST_WRITE))));
  }

  /** Records the effect and lets go of the claim, in one transaction. */
  Mono<Void> markDone(String eventId) {
    return dapr.executeStateTransaction(STORE, List.of(
        new TransactionalStateOperation<>(TransactionalStateOperation.OperationType.UPSERT,
            new State<>("done|" + eventId, "done", null, doneTtl, FIRST_WRITE)),
        new TransactionalStateOperation<>(TransactionalStateOperation.OperationType.DELETE,
            new State<>("claim|" + eventId))));
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
    return dapr.deleteState(STORE, "claim|" + eventId);
  }
}
