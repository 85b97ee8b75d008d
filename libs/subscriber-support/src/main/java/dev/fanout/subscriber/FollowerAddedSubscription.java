package dev.fanout.subscriber;

import dev.fanout.platform.event.FollowerAdded;
import dev.fanout.platform.trace.TraceContext;
import dev.fanout.platform.web.AccessLogFilter;
import io.dapr.Topic;
import io.dapr.client.domain.CloudEvent;
import io.micrometer.core.instrument.MeterRegistry;
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
 * (with its dead-letter topic); this class turns the delivery into a {@link ReceivedEvent} for the service's
 * {@link FollowerAddedHandler} and its outcome into the status daprd acts on.
 */
@RestController
class FollowerAddedSubscription {

  private static final Logger log = LoggerFactory.getLogger(FollowerAddedSubscription.class);

  private final FollowerAddedHandler handler;
  private final SubscriptionMetrics metrics;

  FollowerAddedSubscription(FollowerAddedHandler handler, MeterRegistry registry) {
    this.handler = handler;
    this.metrics = new SubscriptionMetrics(registry);
  }

  @Topic(name = FollowerAdded.TOPIC, pubsubName = FollowerAdded.PUBSUB,
      deadLetterTopic = DeadLetterSubscription.TOPIC)
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
    return handler.handle(new ReceivedEvent(event.getId(), traceId, data))
        .thenReturn(DeliveryStatus.SUCCESS)
        .onErrorResume(PermanentDeliveryFailure.class, failure -> {
          log.warn("followerAdded id={} trace={} DROP: {}", event.getId(), traceId, failure.getMessage());
          return Mono.just(DeliveryStatus.DROP);
        })
        .onErrorResume(failure -> {
          log.warn("followerAdded id={} trace={} RETRY: {}", event.getId(), traceId, failure.toString());
          return Mono.just(DeliveryStatus.RETRY);
        })
        .map(metrics::count);
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
