package dev.fanout.subscriber;

import dev.fanout.platform.event.FollowerAdded;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Map;

/**
 * What an operator alerts on: deliveries by outcome ({@code fanout.deliveries{status}}), redelivered copies
 * that had no second effect ({@code fanout.duplicates}), events that ended in the dead-letter topic
 * ({@code fanout.dead-letters}).
 */
class SubscriptionMetrics {

  private final Map<DeliveryStatus.Status, Counter> deliveries = new EnumMap<>(DeliveryStatus.Status.class);
  private final Counter duplicates;
  private final Counter deadLetters;

  SubscriptionMetrics(MeterRegistry registry) {
    for (var status : DeliveryStatus.Status.values()) {
      deliveries.put(status, Counter.builder("fanout.deliveries")
          .tag("topic", FollowerAdded.TOPIC).tag("status", status.name()).register(registry));
    }
    duplicates = Counter.builder("fanout.duplicates").tag("topic", FollowerAdded.TOPIC).register(registry);
    deadLetters = Counter.builder("fanout.dead-letters").tag("topic", FollowerAdded.TOPIC).register(registry);
  }

  DeliveryStatus count(DeliveryStatus status) {
    deliveries.get(status.status()).increment();
    return status;
  }

  void duplicate() {
    duplicates.increment();
  }

  long deadLetter() {
    deadLetters.increment();
    return (long) deadLetters.count();
  }
}
