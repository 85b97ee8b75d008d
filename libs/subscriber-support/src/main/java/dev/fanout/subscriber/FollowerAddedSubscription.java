package dev.fanout.subscriber;

import dev.fanout.platform.event.FollowerAdded;
import dev.fanout.platform.trace.TraceContext;
import dev.fanout.platform.web.AccessLogFilter;
import io.dapr.Topic;
import io.dapr.client.domain.CloudEvent;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.ServerWebInputException;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The subscribers' topic route. {@code @Topic} makes dapr-sdk-springboot announce it on {@code /dapr/subscribe}
 * (with its dead-letter topic); this class turns a delivery into at most one effect of the service's
 * {@link FollowerAddedHandler} and its outcome into the status daprd acts on.
 *
 * <p>Delivery is at-least-once (a sidecar that dies before acknowledging, a handler slower than the broker's
 * processingTimeout: the event comes again). The {@link IdempotencyStore} makes the effect exactly-once.
 */
@RestController
class FollowerAddedSubscription {

  private static final Logger log = LoggerFactory.getLogger(FollowerAddedSubscription.class);

  private final FollowerAddedHandler handler;
  private final IdempotencyStore idempotency;
  private final SubscriptionMetrics metrics;
  private final FanOutLatency latency;
  private final Duration claimRenewal;

  FollowerAddedSubscription(FollowerAddedHandler handler, IdempotencyStore idempotency, SubscriptionMetrics metrics,
      FanOutLatency latency, Duration claimRenewal) {
    this.handler = handler;
    this.idempotency = idempotency;
    this.metrics = metrics;
    this.latency = latency;
    this.claimRenewal = claimRenewal;
  }

  @Topic(name = FollowerAdded.TOPIC, pubsubName = FollowerAdded.PUBSUB, deadLetterTopic = DeadLetterSubscription.TOPIC)
  @PostMapping("/" + FollowerAdded.TOPIC)
  Mono<DeliveryStatus> onFollowerAdded(@RequestBody CloudEvent<FollowerAdded> event, ServerWebExchange exchange) {
    String traceId = traceIdOf(event, exchange);
    FollowerAdded data = event.getData();
    if (event.getId() == null || !isComplete(data)) {
      log.warn("followerAdded id={} trace={} DROP: incomplete event data {}", event.getId(), traceId, data);
      return Mono.just(metrics.count(DeliveryStatus.DROP));
    }
    log.info("followerAdded id={} trace={} follower={} user={}",
        event.getId(), traceId, data.followerId(), data.userId());
    var received = new ReceivedEvent(event.getId(), traceId, data);
    // Detached from the HTTP exchange: if daprd stops waiting for this answer (processingTimeout), the effect and
    // its record still complete together, instead of the record being cut off after the effect happened.
    return Mono.fromFuture(deliver(received).toFuture(), true).map(metrics::count);
  }

  private Mono<DeliveryStatus> deliver(ReceivedEvent event) {
    return idempotency.isDone(event.id())
        .flatMap(done -> done ? duplicate(event) : claimAndHandle(event))
        .onErrorResume(storeDown -> {
          log.warn("followerAdded id={} trace={} RETRY: idempotency store unavailable: {}",
              event.id(), event.traceId(), storeDown.toString());
          return Mono.just(DeliveryStatus.RETRY);
        });
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
        .then(Mono.defer(() -> idempotency.markDone(event.id()).onErrorResume(notRecorded -> {
          // The effect happened: answering RETRY now would repeat it. The claim expires; a later copy (there
          // should be none, the event is acknowledged) would find no record.
          log.warn("followerAdded id={} trace={} handled, but not recorded as handled: {}",
              event.id(), event.traceId(), notRecorded.toString());
          return Mono.empty();
        })))
        .thenReturn(DeliveryStatus.SUCCESS)
        .onErrorResume(PermanentDeliveryFailure.class, failure -> {
          log.warn("followerAdded id={} trace={} DROP: {}", event.id(), event.traceId(), failure.getMessage());
          return release(event).thenReturn(DeliveryStatus.DROP);
        })
        .onErrorResume(failure -> {
          log.warn("followerAdded id={} trace={} RETRY: {}", event.id(), event.traceId(), failure.toString());
          return release(event).thenReturn(DeliveryStatus.RETRY);
        });
  }

  private Mono<Void> release(ReceivedEvent event) {
    return idempotency.release(event.id()).onErrorResume(stuck -> Mono.empty()); // the claim expires anyway
  }

  /** An event that cannot even be decoded will not decode better next time: DROP it rather than answer 400. */
  @ExceptionHandler(ServerWebInputException.class)
  DeliveryStatus onUndecodableEvent(ServerWebInputException error, ServerWebExchange exchange) {
    log.warn("followerAdded trace={} DROP: undecodable event: {}",
        AccessLogFilter.traceOf(exchange).traceId(), error.getReason());
    return metrics.count(DeliveryStatus.DROP);
  }

  private static boolean isComplete(FollowerAdded data) {
    return data != null && notBlank(data.userId()) && notBlank(data.followerId());
  }

  private static boolean notBlank(String value) {
    return value != null && !value.isBlank();
  }

  /** daprd delivers the publisher's trace in the event itself; the header is its own child span of it. */
  private static String traceIdOf(CloudEvent<?> event, ServerWebExchange exchange) {
    return TraceContext.parse(event.getTraceParent())
        .orElseGet(() -> AccessLogFilter.traceOf(exchange))
        .traceId();
  }
}
