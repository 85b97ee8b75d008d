package dev.fanout.subscriber;

import dev.fanout.platform.event.FollowerAdded;
import io.dapr.Topic;
import io.dapr.client.domain.CloudEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * Events this service dropped, or gave up on after the retry budget, arrive here instead of vanishing: each is
 * logged at ERROR and counted ({@code fanout.dead-letters}), and stays in the dead-letter stream for replay. The
 * topic is per service, so that each service sees only its own failures.
 */
@RestController
class DeadLetterSubscription {

  /** Resolved by dapr-sdk-springboot when it builds {@code /dapr/subscribe}. */
  static final String TOPIC =
      "${fanout.subscription.dead-letter-topic:" + FollowerAdded.TOPIC + "-dead-letter-${spring.application.name}}";

  private static final Logger log = LoggerFactory.getLogger(DeadLetterSubscription.class);

  private final IdempotencyStore idempotency;
  private final SubscriptionMetrics metrics;

  DeadLetterSubscription(IdempotencyStore idempotency, SubscriptionMetrics metrics) {
    this.idempotency = idempotency;
    this.metrics = metrics;
  }

  @Topic(name = TOPIC, pubsubName = FollowerAdded.PUBSUB)
  @PostMapping("/" + FollowerAdded.TOPIC + "/dead-letter")
  Mono<DeliveryStatus> onDeadLetter(@RequestBody CloudEvent<Object> event) {
    if (event.getId() == null) {
      return Mono.just(deadLettered(event));
    }
    // A redelivered copy can run out of retries while the first delivery of the same event is still working on
    // it: that is no failure. Done: nothing lost. Still held: ask again later, by then it is done or released.
    return idempotency.isDone(event.getId())
        .flatMap(done -> done ? Mono.just(alreadyHandled(event)) : idempotency.isClaimed(event.getId())
            .map(claimed -> claimed ? DeliveryStatus.RETRY : deadLettered(event)))
        .onErrorResume(storeDown -> Mono.just(deadLettered(event)));
  }

  private DeliveryStatus alreadyHandled(CloudEvent<Object> event) {
    log.info("dead letter of followerAdded id={}: already handled, nothing lost", event.getId());
    return DeliveryStatus.SUCCESS;
  }

  private DeliveryStatus deadLettered(CloudEvent<Object> event) {
    log.error("dead-lettered followerAdded id={} traceparent={} data={} (dead letters so far: {})",
        event.getId(), event.getTraceParent(), event.getData(), metrics.deadLetter());
    return DeliveryStatus.SUCCESS;
  }
}
