package dev.fanout.subscriber;

import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fanout.platform.event.FollowerAdded;
import dev.fanout.platform.trace.TraceContext;
import dev.fanout.platform.web.AccessLogFilter;
import io.dapr.Topic;
import io.dapr.client.domain.BulkSubscribeAppResponse;
import io.dapr.client.domain.BulkSubscribeAppResponseEntry;
import io.dapr.client.domain.BulkSubscribeAppResponseStatus;
import io.dapr.client.domain.CloudEvent;
import io.dapr.springboot.annotations.BulkSubscribe;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * The subscribers' topic route. {@code @Topic} makes dapr-sdk-springboot announce it on {@code /dapr/subscribe}
 * (with its dead-letter topic), {@code @BulkSubscribe} has daprd deliver the events in batches: one HTTP call, and
 * one round of idempotency records ({@link EventDelivery#deliverAll}), for up to {@link #MAX_BATCH} events instead
 * of one each. That is what the subscribers spent their CPU on (BENCHMARKS.md).
 *
 * <p>daprd answers each entry by its own status: SUCCESS acknowledges it, DROP sends it to the dead-letter topic,
 * RETRY has daprd deliver that entry again (components/resiliency.yaml) and, once the retries ran out, send it to
 * the dead-letter topic. So a batch is as safe as single deliveries; the cost is that daprd flushes one batch at a
 * time per subscription, so a slow or retried entry delays the entries behind it.
 *
 * <p>An event the handler dropped is answered RETRY, not DROP: daprd 1.16 dead-letters an entry DROPped on a retry
 * by its place in the first attempt's list, in the list of the entries being retried (postman/http/http.go), so it
 * sends another event to the dead-letter topic and acknowledges this one, or panics once that list is shorter.
 * Answered RETRY, the event reaches the dead-letter topic once the retries ran out, by daprd's own path for that,
 * and the dead-letter route acknowledges it as dropped; its claim is kept, so the retries do not try it again. An
 * entry that cannot be decoded is still DROPped, on its first attempt. daprd finds a DROPped entry's event by its
 * place in the batch it read, not in the list it sent us, which leaves out the entries it skipped itself (not JSON,
 * expired): with such an entry before ours, the wrong event would be dead-lettered. Only a publisher other than the
 * facade could put either kind in the stream, and the component's publishing scopes let none. daprd also
 * acknowledges a DROPped entry when its publish to the dead-letter topic failed (a RETRY whose retries ran out
 * stays pending instead). For an entry no subscriber can read, that risks only the dead-letter copy of something no
 * follow came from, where RETRY would hold up the whole subscription behind it for the retries (~6 s).
 */
@RestController
class FollowerAddedSubscription {

  /**
   * Equal to the pub/sub component's {@code concurrency} (components/pubsub.yaml): daprd's bulk subscriber gets
   * at most that many events at once from the Redis Streams component, so a batch fills up exactly when all of
   * them are waiting, and goes out at once instead of at the next tick.
   */
  static final int MAX_BATCH = 32;

  /** How long the first event of a batch may wait for company; bounds what batching adds to fan-out latency. */
  static final int MAX_AWAIT_MS = 5;

  private static final Logger log = LoggerFactory.getLogger(FollowerAddedSubscription.class);

  private final EventDelivery delivery;
  private final SubscriptionMetrics metrics;
  private final FanOutLatency latency;
  private final ObjectMapper json;
  private final JavaType cloudEventType;

  FollowerAddedSubscription(EventDelivery delivery, SubscriptionMetrics metrics, FanOutLatency latency,
      ObjectMapper json) {
    this.delivery = delivery;
    this.metrics = metrics;
    this.latency = latency;
    this.json = json;
    this.cloudEventType = json.getTypeFactory().constructParametricType(CloudEvent.class, FollowerAdded.class);
  }

  /** What daprd posts to a bulk route: the entries, each one event. Entries are decoded one by one, below. */
  record BulkDelivery(List<Entry> entries) {

    record Entry(String entryId, JsonNode event) {
    }
  }

  @Topic(name = FollowerAdded.TOPIC, pubsubName = FollowerAdded.PUBSUB, deadLetterTopic = DeadLetterSubscription.TOPIC)
  @BulkSubscribe(maxMessagesCount = MAX_BATCH, maxAwaitDurationMs = MAX_AWAIT_MS)
  @PostMapping("/" + FollowerAdded.TOPIC)
  Mono<BulkSubscribeAppResponse> onFollowerAdded(@RequestBody Mono<BulkDelivery> body, ServerWebExchange exchange) {
    // Stamped before the body is decoded (a Mono argument is decoded when it is subscribed): the arrival is the
    // delivery's, and decoding up to MAX_BATCH events belongs to the subscriber's share of the fan-out latency.
    Instant receivedAt = latency.now();
    return body.flatMap(batch -> handle(batch, receivedAt, exchange));
  }

  private Mono<BulkSubscribeAppResponse> handle(BulkDelivery batch, Instant receivedAt, ServerWebExchange exchange) {
    List<BulkDelivery.Entry> entries = batch.entries() == null ? List.of() : batch.entries();
    AccessLogFilter.note(exchange, "entries=" + entries.size());
    var statuses = new LinkedHashMap<String, BulkSubscribeAppResponseStatus>();
    var events = new LinkedHashMap<String, ReceivedEvent>(); // by event id: a copy of one in the same batch is one
    var entriesOfEvent = new LinkedHashMap<String, List<String>>();
    for (BulkDelivery.Entry entry : entries) {
      ReceivedEvent event = decode(entry, exchange);
      if (event == null) {
        statuses.put(entry.entryId(), toEntryStatus(metrics.count(DeliveryStatus.DROP)));
        continue;
      }
      log.info("followerAdded id={} trace={} follower={} user={}",
          event.id(), event.traceId(), event.data().followerId(), event.data().userId());
      latency.received(event.data().followedAt(), receivedAt);
      events.putIfAbsent(event.id(), event);
      entriesOfEvent.computeIfAbsent(event.id(), id -> new ArrayList<>()).add(entry.entryId());
      statuses.put(entry.entryId(), null); // keeps daprd's order in the answer
    }
    return delivery.deliverAll(events.values()).map(outcomes -> {
      outcomes.forEach((eventId, status) -> entriesOfEvent.get(eventId).forEach(entryId -> statuses.put(entryId,
          toEntryStatus(DeliveryStatus.DROP.equals(status) ? DeliveryStatus.RETRY : status)))); // see the class comment
      return answer(statuses);
    });
  }

  /** The entry's event, or null when it can never be handled: such an entry is DROPped, never retried forever. */
  private ReceivedEvent decode(BulkDelivery.Entry entry, ServerWebExchange exchange) {
    CloudEvent<FollowerAdded> event;
    try {
      event = entry.event() == null ? null : json.convertValue(entry.event(), cloudEventType);
    } catch (IllegalArgumentException undecodable) {
      log.warn("followerAdded entry={} DROP: undecodable event: {}", entry.entryId(), undecodable.getMessage());
      return null;
    }
    if (event == null || event.getId() == null || !isComplete(event.getData())) {
      log.warn("followerAdded id={} entry={} DROP: incomplete event data {}", event == null ? null : event.getId(),
          entry.entryId(), event == null ? null : event.getData());
      return null;
    }
    return new ReceivedEvent(event.getId(), traceIdOf(event, exchange), event.getData());
  }

  private static BulkSubscribeAppResponse answer(Map<String, BulkSubscribeAppResponseStatus> statuses) {
    var answer = new ArrayList<BulkSubscribeAppResponseEntry>(statuses.size());
    statuses.forEach((entryId, status) -> answer.add(new BulkSubscribeAppResponseEntry(entryId, status)));
    return new BulkSubscribeAppResponse(answer);
  }

  private static BulkSubscribeAppResponseStatus toEntryStatus(DeliveryStatus status) {
    return BulkSubscribeAppResponseStatus.valueOf(status.status().name());
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
