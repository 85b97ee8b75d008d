package dev.fanout.subscriber;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * @param claimTtl the lease one delivery holds on an event while it works on it, renewed every
 *     {@code claimRenewal}. A holder that died loses it to another delivery once it is a lease's length past its
 *     expiry (a margin for clocks that disagree): 2 × claimTtl after its last renewal, which must stay shorter than
 *     the broker's processingTimeout (15 s, components/pubsub.yaml), so that the first redelivery takes over.
 * @param claimRenewal how often a working delivery renews its lease
 * @param doneTtl how long a handled event is remembered: longer than any redelivery could come (the broker
 *     redelivers within seconds; a restored backup might replay days)
 */
@ConfigurationProperties("fanout.subscription")
record SubscriptionProperties(
    @DefaultValue("6s") Duration claimTtl,
    @DefaultValue("2s") Duration claimRenewal,
    @DefaultValue("7d") Duration doneTtl) {
}
