package dev.fanout.subscriber;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Map;

/** Deliveries by outcome, as {@code fanout.deliveries{topic,status}}: what an operator alerts on. */
class SubscriptionMetrics {

  private final Map<DeliveryStatus.Status, Counter> counters = new EnumMap<>(DeliveryStatus.Status.class);

  SubscriptionMetrics(MeterRegistry registry) {
    for (var status : DeliveryStatus.Status.values()) {
      counters.put(status, Counter.builder("fanout.deliveries")
          .tag("topic", "followerAdded")
          .tag("status", status.name())
          .register(registry));
    }
  }

  DeliveryStatus count(DeliveryStatus status) {
    counters.get(status.status()).increment();
    return status;
  }
}
