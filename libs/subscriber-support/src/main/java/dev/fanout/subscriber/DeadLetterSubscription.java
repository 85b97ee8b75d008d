package dev.fanout.subscriber;

import dev.fanout.platform.event.FollowerAdded;
import dev.fanout.platform.web.AccessLogFilter;
import io.dapr.Topic;
import io.dapr.client.domain.CloudEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.ServerWebInputException;
import reactor.core.publisher.Mono;

/**
 * Where events go that this service dropped, or that ran out of retries: nothing vanishes. The topic is per
 * service, so each service sees only its own.
 *
 * <ul>
 *   <li>Dropped (malformed, or the handler said it can never succeed): logged at ERROR, counted
 *       ({@code fanout.dead-letters}), acknowledged. It stays in the dead-letter stream for replay, for 7 days (scripts/trim-streams.sh).
 *   <li>Ran out of retries: reported the same way the first time, then tried again from here, slowly (each
 *       failure leaves it pending, redelivered after processingTimeout), until it succeeds. A transient outage
 *       longer than the retry budget (the state store's Redis restarting, the sidecar shutting down) therefore
 *       delays events, and loses none.
 *   <li>Already handled, or still held by a live delivery: no failure at all (a redelivered copy ran out of
 *       retries while the first delivery was finishing).
 * </ul>
 */
@RestController
class DeadLetterSubscription {

  /** Resolved by dapr-sdk-springboot when it builds {@code /dapr/subscribe}. */
  static final String TOPIC =
      "${fanout.subscription.dead-letter-topic:" + FollowerAdded.TOPIC + "-dead-letter-${spring.application.name}}";

  private static final Logger log = LoggerFactory.getLogger(DeadLetterSubscription.class);

  private final EventDelivery delivery;
  private final IdempotencyStore idempotency;
  private final SubscriptionMetrics metrics;

  DeadLetterSubscription(EventDelivery delivery, IdempotencyStore idempotency, SubscriptionMetrics metrics) {
    this.delivery = delivery;
    this.idempotency = idempotency;
    this.metrics = metrics;
  }

  @Topic(name = TOPIC, pubsubName = FollowerAdded.PUBSUB)
  @PostMapping("/" + FollowerAdded.TOPIC + "/dead-letter")
  Mono<DeliveryStatus> onDeadLetter(@RequestBody CloudEvent<FollowerAdded> event, ServerWebExchange exchange) {
    String id = event.getId();
    if (id == null || !FollowerAddedSubscription.isComplete(event.getData())) {
      return Mono.just(deadLettered(id, "incomplete event " + event.getData()));
    }
    var received = new ReceivedEvent(id, FollowerAddedSubscription.traceIdOf(event, exchange), event.getData());
    return idempotency.isDone(id).flatMap(done -> {
      if (done) {
        log.info("dead letter of followerAdded id={}: already handled, nothing lost", id);
        return Mono.just(DeliveryStatus.SUCCESS);
      }
      return idempotency.wasDropped(id).flatMap(dropped -> dropped
          ? Mono.just(deadLettered(id, "dropped by the handler"))
          : idempotency.isClaimed(id).flatMap(claimed -> claimed
              ? Mono.just(DeliveryStatus.RETRY) // a live delivery is on it
              : retryFromHere(received)));
    }).onErrorResume(storeDown -> {
      log.warn("dead letter of followerAdded id={}: idempotency store unavailable, will retry: {}", id,
          storeDown.toString());
      return Mono.just(DeliveryStatus.RETRY);
    });
  }

  private Mono<DeliveryStatus> retryFromHere(ReceivedEvent event) {
    return idempotency.firstDeadLetter(event.id())
        .doOnNext(first -> {
          if (first) {
            log.error("dead-lettered followerAdded id={} trace={}: out of retries; retrying from the dead-letter"
                + " topic until it succeeds (dead letters so far: {})", event.id(), event.traceId(),
                metrics.deadLetter());
          }
        })
        .then(delivery.deliver(event))
        .map(status -> switch (status.status()) {
          case SUCCESS -> {
            log.info("dead letter of followerAdded id={}: handled on a later try, nothing lost", event.id());
            yield status;
          }
          case DROP -> DeliveryStatus.SUCCESS; // the handler says never: reported above, acknowledge it
          case RETRY -> status;
        });
  }

  private DeliveryStatus deadLettered(String id, String why) {
    log.error("dead-lettered followerAdded id={}: {} (dead letters so far: {})", id, why, metrics.deadLetter());
    return DeliveryStatus.SUCCESS;
  }

  @ExceptionHandler(ServerWebInputException.class)
  DeliveryStatus onUndecodableDeadLetter(ServerWebInputException error, ServerWebExchange exchange) {
    return deadLettered(null, "undecodable event (trace " + AccessLogFilter.traceOf(exchange).traceId() + "): "
        + error.getReason());
  }
}
