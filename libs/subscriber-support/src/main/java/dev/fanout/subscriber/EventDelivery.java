package dev.fanout.subscriber;

import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

/**
 * One delivery of an event to the service's {@link FollowerAddedHandler}, with at most one effect per event
 * whatever the number of deliveries: the part both routes share, the topic's and the dead-letter topic's.
 *
 * <p>Delivery is at-least-once (a sidecar that dies before acknowledging, a handler slower than the broker's
 * processingTimeout: the event comes again); the {@link IdempotencyStore} makes the effect exactly-once.
 */
class EventDelivery {

  // The delivery's lines belong with the route's ("FollowerAddedSubscription followerAdded id=..."): one logger
  // name to grep, whichever class wrote them.
  private static final Logger log = LoggerFactory.getLogger(FollowerAddedSubscription.class);

  /** About 10 s of attempts at recording an effect: longer than a broker restart, shorter than processingTimeout. */
  private static final int RECORD_ATTEMPTS = 7;

  private final FollowerAddedHandler handler;
  private final IdempotencyStore idempotency;
  private final SubscriptionMetrics metrics;
  private final FanOutLatency latency;
  private final Duration claimRenewal;

  EventDelivery(FollowerAddedHandler handler, IdempotencyStore idempotency, SubscriptionMetrics metrics,
      FanOutLatency latency, Duration claimRenewal) {
    this.handler = handler;
    this.idempotency = idempotency;
    this.metrics = metrics;
    this.latency = latency;
    this.claimRenewal = claimRenewal;
  }

  /**
   * SUCCESS once the effect happened (now or by an earlier delivery), DROP when it never can (recorded, so that
   * the dead-letter route knows), RETRY otherwise. Detached from the caller's cancellation: if daprd stops waiting
   * (processingTimeout), the effect and its record still complete together.
   */
  Mono<DeliveryStatus> deliver(ReceivedEvent event) {
    Mono<DeliveryStatus> delivery = idempotency.isDone(event.id())
        .flatMap(done -> done ? duplicate(event) : claimAndHandle(event))
        .onErrorResume(storeDown -> {
          log.warn("followerAdded id={} trace={} RETRY: idempotency store unavailable: {}",
              event.id(), event.traceId(), storeDown.toString());
          return Mono.just(DeliveryStatus.RETRY);
        });
    return Mono.fromFuture(delivery.toFuture(), true).map(metrics::count);
  }

  private Mono<DeliveryStatus> duplicate(ReceivedEvent event) {
    log.info("followerAdded id={} trace={} duplicate: already handled, no second effect", event.id(), event.traceId());
    metrics.duplicate();
    return Mono.just(DeliveryStatus.SUCCESS);
  }

  private Mono<DeliveryStatus> claimAndHandle(ReceivedEvent event) {
    return idempotency.claim(event.id())
        .thenReturn(true)
        .onErrorResume(claimed -> {
          log.info("followerAdded id={} trace={} RETRY: another delivery of this event is in progress",
              event.id(), event.traceId());
          return Mono.just(false);
        })
        .flatMap(claimed -> claimed ? handle(event) : Mono.just(DeliveryStatus.RETRY));
  }

  private Mono<DeliveryStatus> handle(ReceivedEvent event) {
    // Keep the lease while the handler works, however slow: a live holder must not lose the event to a copy.
    Disposable lease = Flux.interval(claimRenewal)
        .concatMap(tick -> idempotency.renew(event.id()).onErrorResume(notRenewed -> Mono.empty()))
        .subscribe();
    return handler.handle(event)
        .doFinally(signal -> lease.dispose())
        .doOnSuccess(done -> latency.record(event.data().followedAt()))
        .then(Mono.defer(() -> idempotency.markDone(event.id())
            // The effect happened: its record must outlive a short outage of the store (a Redis restart), or the
            // redelivery that outage causes would repeat the effect. Bounded, below processingTimeout.
            .retryWhen(Retry.backoff(RECORD_ATTEMPTS, Duration.ofMillis(250)).maxBackoff(Duration.ofSeconds(2)))
            .onErrorResume(notRecorded -> {
              // Answering RETRY now would repeat the effect for sure; a later copy only might.
              log.warn("followerAdded id={} trace={} handled, but not recorded as handled: {}",
                  event.id(), event.traceId(), notRecorded.toString());
              return Mono.empty();
            })))
        .thenReturn(DeliveryStatus.SUCCESS)
        .onErrorResume(PermanentDeliveryFailure.class, failure -> {
          log.warn("followerAdded id={} trace={} DROP: {}", event.id(), event.traceId(), failure.getMessage());
          return idempotency.markDropped(event.id(), failure.getMessage()).onErrorResume(e -> Mono.empty())
              .then(release(event)).thenReturn(DeliveryStatus.DROP);
        })
        .onErrorResume(failure -> {
          log.warn("followerAdded id={} trace={} RETRY: {}", event.id(), event.traceId(), failure.toString());
          return release(event).thenReturn(DeliveryStatus.RETRY);
        });
  }

  private Mono<Void> release(ReceivedEvent event) {
    return idempotency.release(event.id()).onErrorResume(stuck -> Mono.empty()); // the lease expires anyway
  }
}
