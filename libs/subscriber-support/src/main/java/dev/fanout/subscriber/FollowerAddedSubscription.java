package dev.fanout.subscriber;

import dev.fanout.platform.event.FollowerAdded;
import dev.fanout.platform.trace.TraceContext;
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
 * The subscribers' topic route. {@code @Topic} makes dapr-sdk-springboot announce it on {@code /dapr/subscribe}
 * (with its dead-letter topic); this class turns a delivery into at most one effect of the service's
 * {@link FollowerAddedHandler} (through {@link EventDelivery}) and its outcome into the status daprd acts on.
 */
@RestController
class FollowerAddedSubscription {

  private static final Logger log = LoggerFactory.getLogger(FollowerAddedSubscription.class);

  private final EventDelivery delivery;
  private final SubscriptionMetrics metrics;

  FollowerAddedSubscription(EventDelivery delivery, SubscriptionMetrics metrics) {
    this.delivery = delivery;
    this.metrics = metrics;
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
    return delivery.deliver(new ReceivedEvent(event.getId(), traceId, data));
  }

  /** An event that cannot even be decoded will not decode better next time: DROP it rather than answer 400. */
  @ExceptionHandler(ServerWebInputException.class)
  DeliveryStatus onUndecodableEvent(ServerWebInputException error, ServerWebExchange exchange) {
    log.warn("followerAdded trace={} DROP: undecodable event: {}",
        AccessLogFilter.traceOf(exchange).traceId(), error.getReason());
    return metrics.count(DeliveryStatus.DROP);
  }

  static boolean isComplete(FollowerAdded data) {
    return data != null && notBlank(data.userId()) && notBlank(data.followerId());
  }

  private static boolean notBlank(String value) {
    return value != null && !value.isBlank();
  }

  /** daprd delivers the publisher's trace in the event itself; the header is its own child span of it. */
  static String traceIdOf(CloudEvent<?> event, ServerWebExchange exchange) {
    return TraceContext.parse(event.getTraceParent())
        .orElseGet(() -> AccessLogFilter.traceOf(exchange))
        .traceId();
  }
}
