package dev.fanout.subscriber;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * @param claimTtl the lease one delivery holds on an event while it works on it, renewed every
 *     {@code claimRenewal}: a holder that died loses it this long after its last renewal. Shorter than the broker's
 *     processingTimeout (components/pubsub.yaml), so that the redelivered copy finds it expired.
 * @param claimRenewal how often a working delivery renews its lease
 * @param doneTtl how long a handled event is remembered: longer than any redelivery could come (the broker
 *     redelivers within seconds; a restored backup might replay days)
 */
@ConfigurationProperties("fanout.subscription")
record SubscriptionProperties(
    @DefaultValue("10s") Duration claimTtl,
    @DefaultValue("3s") Duration claimRenewal,
    @DefaultValue("7d") Duration doneTtl) {
}
