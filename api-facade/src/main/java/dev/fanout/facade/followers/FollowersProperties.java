package dev.fanout.facade.followers;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * @param maxBodySize largest accepted {@code POST /followers} body; a valid one is well under 200 bytes
 * @param retryAfterSeconds what a 503 tells the client to wait before trying again
 * @param maxBatch most events in one bulk publish to daprd (see {@link BulkPublisher})
 * @param maxBatchesInFlight bulk publishes outstanding at once; further events wait for one to end and go out
 *     together in the next
 * @param maxQueued most events waiting for a bulk publish; beyond them a follow is answered 503 at once, so that an
 *     overload many times the sidecar's pace fills neither the heap nor its callers' waits (each event would
 *     otherwise wait up to the sidecar timeout). A thousand is a second or so of this facade's pace and ~13 MB of
 *     requests in flight; 5000 filled the 128 MB heap under 8000 connections, full collections followed one another,
 *     and the facade accepted a third of what it did with 1000 (BENCHMARKS.md, round 24).
 */
@ConfigurationProperties("fanout.followers")
record FollowersProperties(
    @DefaultValue("16KB") DataSize maxBodySize,
    @DefaultValue("2") int retryAfterSeconds,
    @DefaultValue("100") int maxBatch,
    @DefaultValue("2") int maxBatchesInFlight,
    @DefaultValue("1000") int maxQueued) {

  FollowersProperties {
    // Zero would not fail loudly: every publish would wait in the queue, or be refused, and end in a 503. Refuse to
    // start instead.
    if (maxBatch < 1 || maxBatchesInFlight < 1 || maxQueued < 1) {
      throw new IllegalArgumentException("fanout.followers.max-batch, max-batches-in-flight and max-queued must be"
          + " at least 1, not " + maxBatch + ", " + maxBatchesInFlight + " and " + maxQueued);
    }
    if (retryAfterSeconds < 0) { // Retry-After takes no negative delay (RFC 9110, 10.2.3)
      throw new IllegalArgumentException("fanout.followers.retry-after-seconds must be 0 or more, not "
          + retryAfterSeconds);
    }
  }
}
