package dev.fanout.facade.followers;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fanout.platform.sidecar.DaprSidecarProperties;
import dev.fanout.platform.event.FollowerAdded;
import dev.fanout.platform.trace.TraceContext;
import io.dapr.client.domain.CloudEvent;
import io.dapr.v1.DaprGrpc;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Publishes {@code followerAdded} through the app's own daprd, over gRPC (the SDK's transport), in bulk with the
 * events of concurrent requests ({@link BulkPublisher}).
 *
 * <p>We send a complete CloudEvent ({@code application/cloudevents+json}) rather than bare data, so that daprd
 * keeps our {@code id}: the id we return to the client is the one every subscriber sees and logs. It also keeps
 * our {@code traceid}/{@code traceparent} when both are set: a bulk call carries the events of many requests, so
 * each event names its own request's trace (daprd would otherwise stamp the bulk call's on all of them). The SDK's
 * own serializer knows no {@code java.time} types, so we serialize with the app's {@link ObjectMapper} and hand
 * the SDK bytes. No {@code ttlInSeconds}: an event must wait in the broker for a subscriber that is down, however
 * long.
 */
@Component
class FollowerEventPublisher {

  private static final Logger log = LoggerFactory.getLogger(FollowerEventPublisher.class);
  static final String SOURCE = "api-facade";

  private final BulkPublisher bulk;
  private final ObjectMapper cloudEventMapper;
  private final Clock clock;

  FollowerEventPublisher(DaprGrpc.DaprStub dapr, ObjectMapper mapper, DaprSidecarProperties sidecar,
      FollowersProperties properties, Clock clock) {
    this.bulk = new BulkPublisher(dapr, FollowerAdded.PUBSUB, FollowerAdded.TOPIC, properties.maxBatch(),
        properties.maxBatchesInFlight(), properties.maxQueued(), sidecar.timeout());
    // CloudEvent has optional attributes (data_base64, tracestate, ...): leave them out rather than send nulls.
    this.cloudEventMapper = mapper.copy().setSerializationInclusion(JsonInclude.Include.NON_NULL);
    this.clock = clock;
  }

  /** See {@link BulkPublisher#waiting}. */
  int waiting() {
    return bulk.waiting();
  }

  /**
   * Completes with the event id once daprd has confirmed that the broker stored the event; fails with
   * {@link PublishFailedException} when the sidecar or the broker refuses, fails or is too slow.
   */
  Mono<String> publish(FollowRequest request, TraceContext trace, String eventId) {
    Instant now = clock.instant();
    var event = new CloudEvent<FollowerAdded>();
    event.setId(eventId);
    event.setSource(SOURCE);
    event.setType(FollowerAdded.CLOUD_EVENT_TYPE);
    event.setSpecversion("1.0");
    event.setDatacontenttype("application/json");
    event.setTime(now.atOffset(ZoneOffset.UTC));
    event.setTraceParent(trace.traceparent());
    event.setTraceId(trace.traceparent()); // the legacy name daprd checks before it stamps its own (see above)
    event.setData(new FollowerAdded(request.userId(), request.followerId(), now));

    return Mono.fromCallable(() -> serialize(event))
        .flatMap(payload -> bulk.publish(event.getId(), payload))
        // The access line names the event; this one, with its data, is for debugging.
        .doOnSuccess(done -> log.debug("published {} id={} trace={} follower={} user={}",
            FollowerAdded.TOPIC, event.getId(), trace.traceId(), request.followerId(), request.userId()))
        .onErrorMap(error -> {
          if (!(error instanceof PublishFailedException failed && failed.turnedAway())) { // BulkPublisher sums those
            log.warn("publish failed id={} trace={}: {}", event.getId(), trace.traceId(), error.toString());
          }
          return error instanceof PublishFailedException ? error : new PublishFailedException(error);
        })
        .thenReturn(event.getId());
  }

  private byte[] serialize(CloudEvent<FollowerAdded> event) {
    try {
      return cloudEventMapper.writeValueAsBytes(event);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }
}
