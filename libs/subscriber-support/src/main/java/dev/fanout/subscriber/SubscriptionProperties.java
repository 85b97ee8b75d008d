package dev.fanout.subscriber;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * @param claimTtl how long one delivery may hold an event before another may take it over: longer than the
 *     slowest handler (push gateway timeout, SMTP timeouts), so that a slow first delivery is never run twice
 * @param doneTtl how long a handled event is remembered: longer than any redelivery could come (the broker
 *     redelivers within seconds; a restored backup might replay days)
 */
@ConfigurationProperties("fanout.subscription")
record SubscriptionProperties(
    @DefaultValue("60s") Duration claimTtl,
    @DefaultValue("7d") Duration doneTtl) {
}
