package dev.fanout.subscriber;

import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

/**
 * One delivery of a batch of events (the topic route's) or of one event (the dead-letter route's) to the service's
 * {@link FollowerAddedHandler}, with at most one effect per event whatever the number of deliveries.
 *
 * <p>Delivery is at-least-once (a sidecar that dies before acknowledging, a handler slower than the broker's
 * processingTimeout: the event comes again); the {@link IdempotencyStore} makes the effect exactly-once.
 */
class EventDelivery {

  // The delivery's lines belong with the route's ("FollowerAddedSubscription followerAdded id=..."): one logger
  // name to grep, whichever class wrote them.
  private static final Logger log = LoggerFactory.getLogger(FollowerAddedSubscription.class);

  /**
   * Attempts at recording effects: about a minute of back-off between them (each attempt bounded by the sidecar
   * timeout), longer than a broker restart, even one that loads a large append-only file. The claims stay renewed
   * meanwhile, and daprd waits for the answer however long it takes, so a copy redelivered in that time is retried
   * rather than handled again. (It was about 10 s: a longer outage let such a copy take the claims over.)
   */
  private static final int RECORD_ATTEMPTS = 32;

  private final FollowerAddedHandler handler;
  private final IdempotencyStore idempotency;
  private final SubscriptionMetrics metrics;
  private final FanOutLatency latency;
  private final ClaimKeeper claims;

  EventDelivery(FollowerAddedHandler handler, IdempotencyStore idempotency, SubscriptionMetrics metrics,
      FanOutLatency latency, ClaimKeeper claims) {
    this.handler = handler;
    this.idempotency = idempotency;
    this.metrics = metrics;
    this.latency = latency;
    this.claims = claims;
  }

  /** {@link #deliverAll} for one event: the dead-letter route's way in. */
  Mono<DeliveryStatus> deliver(ReceivedEvent event) {
    return deliverAll(List.of(event)).map(statuses -> statuses.get(event.id()));
  }

  /**
   * Each event's status, by event id: SUCCESS once the effect happened (now or by an earlier delivery), DROP when
   * it never can (recorded, so that the dead-letter route knows), RETRY otherwise. The idempotency records of the
   * whole batch go in two calls to the state store (claim them, record the effects), whatever its size, and two
   * reads more when some claim is refused (two, and a write between them, when the claim call fails). Detached from
   * the caller's cancellation: if daprd stops waiting (a single delivery's processingTimeout, a subscription
   * closing), the effects and their records still complete together.
   */
  Mono<Map<String, DeliveryStatus>> deliverAll(Collection<ReceivedEvent> events) {
    if (events.isEmpty()) {
      return Mono.just(Map.of());
    }
    Map<String, ReceivedEvent> byId = new LinkedHashMap<>();
    events.forEach(event -> byId.put(event.id(), event));
    String token = UUID.randomUUID().toString(); // this delivery's, on its claims
    Mono<Map<String, DeliveryStatus>> delivery = idempotency.claimAll(byId.keySet(), token)
        .flatMap(claims -> {
          var statuses = new ConcurrentHashMap<String, DeliveryStatus>();
          byId.forEach((id, event) -> {
            if (claims.done().contains(id)) {
              statuses.put(id, duplicate(event));
            } else if (claims.dropped().contains(id)) {
              statuses.put(id, droppedBefore(event));
            } else if (!claims.held().contains(id)) {
              statuses.put(id, heldElsewhere(event));
            }
          });
          return handleAll(claims.held().stream().map(byId::get).toList(), token, statuses);
        })
        .onErrorResume(storeDown -> {
          log.warn("followerAdded ids={} RETRY: idempotency store unavailable: {}", byId.keySet(),
              storeDown.toString());
          return Mono.just(byId.keySet().stream().collect(Collectors.toMap(id -> id, id -> DeliveryStatus.RETRY)));
        });
    return Mono.fromFuture(delivery.toFuture(), true)
        .doOnNext(statuses -> statuses.values().forEach(metrics::count));
  }

  private DeliveryStatus duplicate(ReceivedEvent event) {
    log.info("followerAdded id={} trace={} duplicate: already handled, no second effect", event.id(), event.traceId());
    metrics.duplicate();
    return DeliveryStatus.SUCCESS;
  }

  /** Not tried again; RETRY, as the topic route answers the drop itself, until daprd dead-letters the event. */
  private DeliveryStatus droppedBefore(ReceivedEvent event) {
    log.info("followerAdded id={} trace={} RETRY: dropped before, not tried again", event.id(), event.traceId());
    return DeliveryStatus.RETRY;
  }

  private DeliveryStatus heldElsewhere(ReceivedEvent event) {
    log.info("followerAdded id={} trace={} RETRY: another delivery of this event is in progress",
        event.id(), event.traceId());
    return DeliveryStatus.RETRY;
  }

  /**
   * Runs the handler on every claimed event at once, then records the effects that happened in one transaction.
   * Every claim is kept alive until then, not only while its own handler runs: an event handled in a moment waits
   * for its record as long as the batch's slowest effect takes, and a copy of it redelivered meanwhile (to another
   * replica, once processingTimeout passed) must find its claim live rather than abandoned and take it over.
   */
  private Mono<Map<String, DeliveryStatus>> handleAll(List<ReceivedEvent> claimed, String token,
      Map<String, DeliveryStatus> statuses) {
    Mono<Void> handledAndRecorded = Flux.fromIterable(claimed)
        .flatMap(event -> handle(event, token).doOnNext(status -> statuses.put(event.id(), status)))
        .then(Mono.defer(() -> {
          List<String> handled = claimed.stream().map(ReceivedEvent::id)
              .filter(id -> DeliveryStatus.SUCCESS.equals(statuses.get(id))).toList();
          return handled.isEmpty() ? Mono.<Void>empty() : idempotency.markDoneAll(handled)
              // The effects happened: their records must outlive an outage of the store (a Redis restart), or the
              // redelivery that outage causes would repeat them.
              .retryWhen(Retry.backoff(RECORD_ATTEMPTS, Duration.ofMillis(250)).maxBackoff(Duration.ofSeconds(2)))
              .onErrorResume(notRecorded -> {
                // Answering RETRY now would repeat the effects for sure; a later copy only might.
                log.warn("followerAdded ids={} handled, but not recorded as handled: {}", handled,
                    notRecorded.toString());
                return Mono.empty();
              });
        }));
    return claims.whileWorking(claimed.stream().map(ReceivedEvent::id).toList(), token, handledAndRecorded)
        .thenReturn(statuses);
  }

  /**
   * The handler's outcome for one claimed event. A failed event's claim is released for the next delivery; a
   * dropped one's is kept, so that the deliveries that may still come (the topic route's retries, see
   * FollowerAddedSubscription) do not try it again.
   */
  private Mono<DeliveryStatus> handle(ReceivedEvent event, String token) {
    // Deferred: a handler that throws instead of returning an error fails its own event, not the whole batch
    // (whose other effects would then go unrecorded, and be repeated by the redelivery).
    return Mono.defer(() -> handler.handle(event))
        .doOnSuccess(done -> latency.handled(event.data().followedAt()))
        .thenReturn(DeliveryStatus.SUCCESS)
        .onErrorResume(PermanentDeliveryFailure.class, failure -> {
          log.warn("followerAdded id={} trace={} dropped: {}", event.id(), event.traceId(), failure.getMessage());
          return idempotency.markDropped(event.id(), failure.getMessage()).onErrorResume(e -> Mono.empty())
              .thenReturn(DeliveryStatus.DROP);
        })
        .onErrorResume(failure -> {
          log.warn("followerAdded id={} trace={} RETRY: {}", event.id(), event.traceId(), failure.toString());
          return release(event, token).thenReturn(DeliveryStatus.RETRY);
        });
  }

  private Mono<Void> release(ReceivedEvent event, String token) {
    return idempotency.release(event.id(), token).onErrorResume(stuck -> Mono.empty()); // the lease expires anyway
  }
}
