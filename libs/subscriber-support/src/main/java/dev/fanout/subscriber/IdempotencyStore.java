package dev.fanout.subscriber;

import io.dapr.client.DaprClient;
import io.dapr.client.domain.State;
import io.dapr.client.domain.StateOptions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import reactor.core.publisher.Mono;

/**
 * Which events this service has handled, durably, in the Dapr state store (components/statestore.yaml) on the
 * broker's Redis, shared by the service's replicas and surviving their restarts.
 *
 * <p>One key per event, {@code event|id}. The delivery that works on an event first writes it as
 * {@value #CLAIMED}, first-write-wins: a lease, renewed while it works and expiring soon after its holder died
 * (claimTtl, shorter than the broker's processingTimeout, so that the copy the broker redelivers after a crash
 * finds it expired). Once the effect happened the holder overwrites it with {@value #DONE}, kept for doneTtl. So
 * the claim of any later copy fails, and the usual delivery costs two writes and no read; only a refused claim
 * reads the key, to tell a duplicate (done: no second effect) from a concurrent delivery (claimed: retried later,
 * by which time the first has finished or failed).
 */
class IdempotencyStore {

  static final String STORE = "statestore";
  static final String CLAIMED = "claimed";
  static final String DONE = "done";

  /** Where an event stands with this service. */
  enum Progress { NONE, CLAIMED, DONE }

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

  static String key(String eventId) {
    return "event|" + eventId;
  }

  Mono<Progress> progress(String eventId) {
    return dapr.getState(STORE, key(eventId), String.class).map(state -> {
      if (DONE.equals(state.getValue())) {
        return Progress.DONE;
      }
      return CLAIMED.equals(state.getValue()) ? Progress.CLAIMED : Progress.NONE;
    });
  }

  /**
   * Completes when this delivery holds the event; fails when another delivery holds it or has done it (or when the
   * store is unreachable): {@link #progress} tells which.
   */
  Mono<Void> claim(String eventId) {
    return dapr.saveBulkState(STORE, List.of(new State<>(key(eventId), CLAIMED, null, claimTtl, FIRST_WRITE)));
  }

  /** Extends this delivery's lease: with the claim's current ETag, so never over a {@value #DONE}. */
  Mono<Void> renew(String eventId) {
    return held(eventId).flatMap(claim -> dapr.saveBulkState(STORE,
        List.of(new State<>(claim.getKey(), CLAIMED, claim.getEtag(), claimTtl, FIRST_WRITE))));
  }

  /** Records the effect, which also ends the claim. Only the holder writes here, so no ETag is needed. */
  Mono<Void> markDone(String eventId) {
    return dapr.saveBulkState(STORE, List.of(new State<>(key(eventId), DONE, null, doneTtl, null)));
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

  /**
   * The effect did not happen: let the next delivery try. Only a claim is removed, by its ETag: had our lease
   * lapsed and another delivery done the event meanwhile, its record must stay.
   */
  Mono<Void> release(String eventId) {
    return held(eventId).flatMap(claim -> dapr.deleteState(STORE, claim.getKey(), claim.getEtag(), FIRST_WRITE));
  }

  private Mono<State<String>> held(String eventId) {
    return dapr.getState(STORE, key(eventId), String.class)
        .filter(state -> state.getEtag() != null && CLAIMED.equals(state.getValue()));
  }
}
