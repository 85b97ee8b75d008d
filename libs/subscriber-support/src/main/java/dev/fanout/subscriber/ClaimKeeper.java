package dev.fanout.subscriber;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Keeps alive the claims of the events being handled, however slow the handler: a live holder must not lose its
 * event to a redelivered copy, from the claim until the effect is recorded, which for a batch is after its slowest
 * event's effect (so an event handled first keeps its claim while it waits for its record). One ticker for the
 * service renews them all, each by its ETag and only while this delivery holds it ({@link IdempotencyStore#renew});
 * an event handled for longer than {@code claimRenewal} is renewed at least that often, the first time at the first
 * tick after it started.
 *
 * <p>Not a timer per event, as before: scheduling and cancelling one, and waking the scheduler's thread for it, cost
 * every event about 5 % of a subscriber's CPU (BENCHMARKS.md, round 15), though almost no handler outlives it.
 */
final class ClaimKeeper implements DisposableBean {

  private record Held(String eventId, String token) {
  }

  private static final Logger log = LoggerFactory.getLogger(ClaimKeeper.class);

  private final IdempotencyStore idempotency;
  private final Set<Held> working = ConcurrentHashMap.newKeySet();
  private final Disposable ticker;

  ClaimKeeper(IdempotencyStore idempotency, Duration claimRenewal) {
    this.idempotency = idempotency;
    this.ticker = Flux.interval(claimRenewal, claimRenewal)
        .onBackpressureDrop() // a tick while the last one's renewals still run is skipped, not queued
        .concatMap(tick -> renewAll(), 1)
        .subscribe();
  }

  /**
   * The work, with the claims of these events (held by the delivery with this token) kept alive until it ends. A
   * claim the work released or lost is left alone: only the holder's token renews it.
   */
  <T> Mono<T> whileWorking(Collection<String> eventIds, String token, Mono<T> work) {
    List<Held> held = eventIds.stream().map(eventId -> new Held(eventId, token)).toList();
    return Mono.defer(() -> {
      working.addAll(held);
      return work;
    }).doFinally(signal -> held.forEach(working::remove));
  }

  private Mono<Void> renewAll() {
    return Flux.fromIterable(List.copyOf(working))
        .flatMap(held -> Mono.defer(() -> idempotency.renew(held.eventId(), held.token()))
            .onErrorResume(notRenewed -> Mono.empty())) // the next tick tries again, well within the lease
        .then()
        // Nothing may end the ticker: without it every slow delivery would lose its claims to redelivered copies
        // (second effects), with no sign of it. Whatever failed, the next tick tries again.
        .onErrorResume(failure -> {
          log.warn("claim renewal failed, the next tick tries again: {}", failure.toString());
          return Mono.empty();
        });
  }

  @Override
  public void destroy() {
    ticker.dispose();
  }
}
