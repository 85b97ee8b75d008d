package dev.fanout.subscriber;

import io.dapr.client.DaprClient;
import io.dapr.client.domain.State;
import io.dapr.client.domain.StateOptions;
import io.dapr.client.domain.TransactionalStateOperation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
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

  /** Which of these events were handled already. */
  Mono<Set<String>> doneAmong(Collection<String> eventIds) {
    return dapr.getBulkState(STORE, eventIds.stream().map(id -> "done|" + id).toList(), String.class)
        .map(states -> states.stream().filter(state -> state.getValue() != null)
            .map(state -> state.getKey().substring("done|".length())).collect(Collectors.toSet()));
  }

  /**
   * The events this delivery now holds: all of them, unless another delivery holds some. A refused claim fails
   * daprd's whole bulk save, though the other claims of it were written; the claims carry a token of this call, so
   * that reading them back tells which are ours.
   */
  Mono<Set<String>> claimAll(Collection<String> eventIds) {
    if (eventIds.isEmpty()) {
      return Mono.just(Set.of());
    }
    String token = UUID.randomUUID().toString();
    List<State<?>> claims = eventIds.stream()
        .<State<?>>map(id -> new State<>("claim|" + id, token, null, claimTtl, FIRST_WRITE)).toList();
    return dapr.saveBulkState(STORE, claims)
        .then(Mono.fromSupplier(() -> Set.copyOf(eventIds)))
        .onErrorResume(someRefused -> dapr.getBulkState(STORE, eventIds.stream().map(id -> "claim|" + id).toList(),
                String.class)
            .map(states -> states.stream().filter(state -> token.equals(state.getValue()))
                .map(state -> state.getKey().substring("claim|".length())).collect(Collectors.toSet())));
  }

  /** Records the effects and lets go of their claims, in one transaction that can be repeated. */
  Mono<Void> markDoneAll(Collection<String> eventIds) {
    var operations = new ArrayList<TransactionalStateOperation<?>>(eventIds.size() * 2);
    for (String id : eventIds) {
      operations.add(new TransactionalStateOperation<>(TransactionalStateOperation.OperationType.UPSERT,
          new State<>("done|" + id, "done", null, doneTtl, null)));
      operations.add(new TransactionalStateOperation<>(TransactionalStateOperation.OperationType.DELETE,
          new State<>("claim|" + id)));
    }
    return dapr.executeStateTransaction(STORE, operations);
  }

  Mono<Boolean> isDone(String eventId) {
    return dapr.getState(STORE, "done|" + eventId, String.class).map(state -> state.getValue() != null);
  }

  /** Whether some delivery holds a live lease on the event (it may still produce the effect). */
  Mono<Boolean> isClaimed(String eventId) {
    return dapr.getState(STORE, "claim|" + eventId, String.class).map(state -> state.getValue() != null);
  }

  /** Extends this delivery's lease: first-write-wins still, so only with the current ETag of the claim, and its token. */
  Mono<Void> renew(String eventId) {
    String key = "claim|" + eventId;
    return dapr.getState(STORE, key, String.class)
        .filter(state -> state.getEtag() != null && state.getValue() != null)
        .flatMap(state -> dapr.saveBulkState(STORE,
            List.of(new State<>(key, state.getValue(), state.getEtag(), claimTtl, FIRST_WRITE))));
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
