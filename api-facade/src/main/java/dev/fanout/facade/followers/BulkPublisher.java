package dev.fanout.facade.followers;

import com.google.protobuf.UnsafeByteOperations;
import io.dapr.client.domain.CloudEvent;
import io.dapr.v1.DaprGrpc;
import io.dapr.v1.DaprProtos;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Sends the events of concurrent requests to daprd together, in bulk publishes (BulkPublishEventAlpha1), rather
 * than one gRPC call per event.
 *
 * <p>No timer: an event goes out at once while fewer than {@code maxInFlight} bulk calls are outstanding; when
 * that many are, events queue and leave together in the next call, up to {@code maxBatch}. So a lone request
 * pays no batching delay, and under load the sidecar sees few, large calls instead of many small ones.
 *
 * <p>Each event completes only with the fate of its own entry: daprd answers a bulk publish with the entries it
 * could not store, and fails the whole call when any entry failed (its default bulk publisher, for brokers with
 * no native bulk API such as Redis Streams). Either way no event is reported stored unless daprd said so.
 *
 * <p>It speaks to daprd through the SDK's generated stub rather than {@code DaprPreviewClient.publishEvents}, for
 * one reason: the stub it is given runs the answer's callbacks on gRPC's event loop (see
 * {@code SidecarAutoConfiguration}), so completing the events and everything downstream of them must not block.
 */
class BulkPublisher {

  /** An event to send; {@code deadline} is {@link System#nanoTime()}'s when its caller gets a 503 instead. */
  private record Pending(String eventId, byte[] cloudEvent, long deadline, CompletableFuture<Void> stored) {
  }

  private static final Logger log = LoggerFactory.getLogger(BulkPublisher.class);

  private static final Duration REPORT_EVERY = Duration.ofSeconds(10);

  /**
   * Less time than this left, an event is not worth a call: it fails unsent, or with its batch. Half the timeout
   * when that is shorter: a timeout of 50 ms or less would otherwise fail every event before its first call.
   */
  private static final long MIN_CALL_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

  private final DaprGrpc.DaprStub dapr;
  private final String pubsub;
  private final String topic;
  private final int maxBatch;
  private final int maxInFlight;
  private final int maxQueued;
  private final Duration timeout;
  private final long minCallNanos;
  private final Queue<Pending> queue = new ConcurrentLinkedQueue<>();
  private final AtomicInteger queued = new AtomicInteger(); // the queue's size, which it counts only by walking it
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicLong turnedAway = new AtomicLong(); // since the last report
  private final AtomicBoolean reporting = new AtomicBoolean(); // a report is due: none is logged but by it
  private final Scheduler reports = Schedulers.parallel();

  BulkPublisher(DaprGrpc.DaprStub dapr, String pubsub, String topic, int maxBatch, int maxInFlight, int maxQueued,
      Duration timeout) {
    this.dapr = dapr;
    this.pubsub = pubsub;
    this.topic = topic;
    this.maxBatch = maxBatch;
    this.maxInFlight = maxInFlight;
    this.maxQueued = maxQueued;
    this.timeout = timeout;
    this.minCallNanos = Math.min(MIN_CALL_NANOS, timeout.toNanos() / 2);
  }

  /**
   * Completes once daprd confirmed the event stored; fails with {@link PublishFailedException} otherwise, at the
   * latest after {@code timeout}, queueing included, and at once when {@code maxQueued} events already wait. An
   * event whose time ran out while queued is not sent, and a bulk call gets only the time its oldest event has left
   * (see {@link #fail} for the others): daprd is to give up on an event when its caller is answered 503, not store
   * it up to a timeout later, when the caller's retry under a new event id may be on its way (two notifications of
   * one follow).
   */
  Mono<Void> publish(String eventId, byte[] cloudEvent) {
    return Mono.defer(() -> {
      if (queued.incrementAndGet() > maxQueued) {
        queued.decrementAndGet();
        turnAway();
        return Mono.error(PublishFailedException.turnedAway(maxQueued));
      }
      var pending = new Pending(eventId, cloudEvent, System.nanoTime() + timeout.toNanos(),
          new CompletableFuture<Void>().orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS));
      queue.add(pending);
      drain();
      // A caller that leaves (its client went away) cancels its event while it waits: its retry would come under a
      // new id, and two events are two notifications. Once sent, the event's fate is daprd's.
      return Mono.fromFuture(pending.stored(), false)
          .onErrorMap(TimeoutException.class, PublishFailedException::new);
    });
  }

  /** Events waiting for a bulk call to take them; for tests, which cannot otherwise tell a request's whereabouts. */
  int waiting() {
    return queued.get();
  }

  /**
   * A warning for the first follow turned away, then one every {@link #REPORT_EVERY} with how many were since, until
   * a report finds none: an overload turns thousands away a second, each with its access line, and a warning each
   * would cost more than the answer.
   */
  private void turnAway() {
    turnedAway.incrementAndGet();
    if (reporting.compareAndSet(false, true)) {
      report();
    }
  }

  private void report() {
    long count = turnedAway.getAndSet(0);
    if (count > 0) {
      log.warn("follows answered 503 at once since the last report: {}; {} events already wait for the sidecar",
          count, maxQueued);
      try {
        reports.schedule(this::report, REPORT_EVERY.toMillis(), TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException shuttingDown) {
        reporting.set(false);
      }
      return;
    }
    reporting.set(false);
    if (turnedAway.get() > 0 && reporting.compareAndSet(false, true)) {
      report(); // turned away between the count and the line above, while a report still looked due
    }
  }

  /**
   * Starts bulk calls while there is room and something to send. Called after every enqueue and after every call
   * ends: each party changes its state (adds, or frees a slot) before it looks, so no event is left behind.
   */
  private void drain() {
    while (!queue.isEmpty()) {
      int running = inFlight.get();
      if (running >= maxInFlight) {
        return; // the call that ends next will take the queue
      }
      if (!inFlight.compareAndSet(running, running + 1)) {
        continue;
      }
      List<Pending> batch = new ArrayList<>(Math.min(maxBatch, 16));
      for (Pending next; batch.size() < maxBatch && (next = queue.poll()) != null; ) {
        queued.decrementAndGet();
        if (next.stored().isDone()) {
          continue; // its caller has had its answer: publishing it now would surprise
        }
        if (next.deadline() - System.nanoTime() < minCallNanos) {
          // Its deadline would be the call's: too short for daprd, so the whole call would fail (see fail).
          next.stored().completeExceptionally(new PublishFailedException("timed out waiting for the sidecar"));
          continue;
        }
        batch.add(next);
      }
      if (batch.isEmpty()) {
        inFlight.decrementAndGet(); // another drain took them
      } else {
        send(batch);
      }
    }
  }

  private void send(List<Pending> batch) {
    var request = DaprProtos.BulkPublishRequest.newBuilder().setPubsubName(pubsub).setTopic(topic);
    Set<String> ids = new HashSet<>(batch.size() * 2);
    long deadline = Long.MAX_VALUE;
    for (Pending pending : batch) {
      deadline = Math.min(deadline, pending.deadline());
      if (!ids.add(pending.eventId())) {
        // Two requests for one event (a client's retry with its Idempotency-Key, the first still waiting): one
        // entry, which answers both. daprd refuses a whole bulk call that names an entry twice.
        continue;
      }
      request.addEntries(DaprProtos.BulkPublishRequestEntry.newBuilder()
          .setEntryId(pending.eventId())
          // No copy: the bytes are the event's serialized form, which nothing writes to after it is made.
          .setEvent(UnsafeByteOperations.unsafeWrap(pending.cloudEvent()))
          .setContentType(CloudEvent.CONTENT_TYPE));
    }
    var answer = new Answer(batch, ids);
    try {
      // The deadline bounds the whole call, waiting for a connection included, so a slot is always given back. It
      // is the oldest event's (see publish), when that is sooner than the configured timeout.
      dapr.withDeadlineAfter(deadline - System.nanoTime(), TimeUnit.NANOSECONDS)
          .bulkPublishEventAlpha1(request.build(), answer);
    } catch (RuntimeException refused) { // gRPC reports failures through onError; this is for anything else
      answer.onError(refused);
    }
  }

  /** Ends one bulk call exactly once, however gRPC reports its end (a call that throws may also be cancelled). */
  private final class Answer implements StreamObserver<DaprProtos.BulkPublishResponse> {

    private final List<Pending> batch;
    private final Set<String> ids;
    private final AtomicBoolean ended = new AtomicBoolean();
    private DaprProtos.BulkPublishResponse response;

    Answer(List<Pending> batch, Set<String> ids) {
      this.batch = batch;
      this.ids = ids;
    }

    @Override
    public void onNext(DaprProtos.BulkPublishResponse value) {
      response = value;
    }

    @Override
    public void onError(Throwable failure) {
      if (ended.compareAndSet(false, true)) {
        fail(batch, failure);
      }
    }

    @Override
    public void onCompleted() {
      if (!ended.compareAndSet(false, true)) {
        return;
      }
      if (response == null) {
        fail(batch, new IllegalStateException("the sidecar gave no answer"));
      } else {
        settle(batch, ids, response);
      }
    }
  }

  /**
   * A call that failed as a whole. One that ran out of its oldest event's time leaves the batch's other events time
   * of their own: they go out again in a later call, under the same ids, so that the oldest event's deadline does not
   * become theirs. If this call stored some of them after all, the broker holds two copies of those events, and the
   * subscribers take the second for the duplicate it is.
   */
  private void fail(List<Pending> batch, Throwable failure) {
    inFlight.decrementAndGet();
    boolean outOfTime = Status.fromThrowable(failure).getCode() == Status.Code.DEADLINE_EXCEEDED;
    for (Pending pending : batch) {
      if (outOfTime && !pending.stored().isDone() && pending.deadline() - System.nanoTime() > minCallNanos) {
        queued.incrementAndGet();
        queue.add(pending);
      } else {
        pending.stored().completeExceptionally(new PublishFailedException(failure));
      }
    }
    drain();
  }

  private void settle(List<Pending> batch, Set<String> ids, DaprProtos.BulkPublishResponse response) {
    inFlight.decrementAndGet();
    for (var failed : response.getFailedEntriesList()) {
      var failure = new PublishFailedException("not stored by the sidecar: " + failed.getError());
      if (!ids.contains(failed.getEntryId())) {
        // A failure we cannot pin on one entry: none of them may be reported stored.
        batch.forEach(each -> each.stored().completeExceptionally(failure));
        break;
      }
      batch.stream().filter(pending -> pending.eventId().equals(failed.getEntryId()))
          .forEach(pending -> pending.stored().completeExceptionally(failure));
    }
    batch.forEach(pending -> pending.stored().complete(null)); // no-op for those already failed
    drain();
  }
}
