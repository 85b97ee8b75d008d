package dev.fanout.subscriber;

import dev.fanout.platform.event.FollowerAdded;
import io.dapr.Topic;
import io.dapr.client.domain.CloudEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * Events this service dropped, or gave up on after the retry budget, arrive here instead of vanishing: each one is
 * logged at ERROR and counted ({@code fanout.dead-letters}), and stays in the dead-letter stream for replay.
 * The topic is per service, so that each service sees only its own failures.
 */
@RestController
class DeadLetterSubscription {

  /** Resolved by dapr-sdk-springboot when it builds {@code /dapr/subscribe}. */
  static final String TOPIC =
      "${fanout.subscription.dead-letter-topic:" + FollowerAdded.TOPIC + "-dead-letter-${spring.application.name}}";

  private static final Logger log = LoggerFactory.getLogger(DeadLetterSubscription.class);

  private final Counter deadLetters;

  DeadLetterSubscription(MeterRegistry registry) {
    this.deadLetters = Counter.builder("fanout.dead-letters").tag("topic", FollowerAdded.TOPIC).register(registry);
  }

  @Topic(name = TOPIC, pubsubName = FollowerAdded.PUBSUB)
  @PostMapping("/" + FollowerAdded.TOPIC + "/dead-letter")
  Mono<DeliveryStatus> onDeadLetter(@RequestBody CloudEvent<Object> event) {
    deadLetters.increment();
    log.error("dead-lettered followerAdded id={} trace={} data={} (total {})",
        event.getId(), event.getTraceParent(), event.getData(), (long) deadLetters.count());
    return Mono.just(DeliveryStatus.SUCCESS);
  }
}
