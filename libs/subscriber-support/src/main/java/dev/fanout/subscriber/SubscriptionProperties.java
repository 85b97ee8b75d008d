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
 * @param doneTtl how long a handled event is remembered (its claim a lease longer): longer than any copy of it can
 *     come. Copies come from the facade's publish retries (seconds) and from entries a daprd did not acknowledge,
 *     which the broker redelivers within processingTimeout + redeliverInterval while a replica of the service runs,
 *     or once one starts again. The records cost Redis ~0.5 KB per event per service for as long as they live
 *     (BENCHMARKS.md, round 19): 7 days, the earlier default, is ~600 GB at 1000 events/s, an hour ~3.5 GB.
 * @param deadLetterTtl how long an event that reached the dead-letter route, or that the handler dropped, is
 *     remembered as such: it is reported and counted once however long it keeps failing, and its dead letter is
 *     not tried again. Few events ever get one of these records, so they can live long.
 */
@ConfigurationProperties("fanout.subscription")
record SubscriptionProperties(
    @DefaultValue("6s") Duration claimTtl,
    @DefaultValue("2s") Duration claimRenewal,
    @DefaultValue("1h") Duration doneTtl,
    @DefaultValue("7d") Duration deadLetterTtl) {
}
