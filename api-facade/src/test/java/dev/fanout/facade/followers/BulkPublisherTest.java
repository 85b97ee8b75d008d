package dev.fanout.facade.followers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.fanout.platform.sidecar.SidecarAutoConfiguration;
import io.dapr.v1.DaprGrpc;
import io.dapr.v1.DaprProtos;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.Context;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.springframework.boot.test.util.TestPropertyValues;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import reactor.test.scheduler.VirtualTimeScheduler;

/**
 * {@link BulkPublisher}'s bookkeeping of calls in flight, against a real gRPC server standing in for daprd, called
 * through the stub the platform builds (its interceptors included). The Spring-level behaviour (what reaches
 * the sidecar, 202 against 503) is {@link FollowerEventPublisherTest}'s.
 */
class BulkPublisherTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  private final List<DaprProtos.BulkPublishRequest> received = new CopyOnWriteArrayList<>();
  private final List<StreamObserver<DaprProtos.BulkPublishResponse>> replies = new CopyOnWriteArrayList<>();
  private final List<Long> deadlines = new CopyOnWriteArrayList<>(); // as daprd sees them, in nanoTime()'s terms
  private volatile boolean sendFails;
  private Server sidecar;
  private DaprGrpc.DaprStub stub; // the platform's, as the publisher built last calls it
  private AnnotationConfigApplicationContext platform;

  @AfterEach
  void stop() {
    platform.close();
    sidecar.shutdownNow();
  }

  @Test
  void aCallThatFailsAsItStartsGivesBackItsSlotOnlyOnce() throws IOException {
    // gRPC both throws and cancels when sending the request fails: two reports of one call's end.
    var publisher = publisherWithOneCallInFlight();
    sendFails = true;
    assertThatThrownBy(() -> publisher.publish("first", event("first")).block(Duration.ofSeconds(5)))
        .isInstanceOf(PublishFailedException.class);

    sendFails = false;
    publisher.publish("second", event("second")).subscribe(done -> { }, failure -> { });
    publisher.publish("third", event("third")).subscribe(done -> { }, failure -> { });

    // The sidecar never answers: with one slot, "third" must wait for "second"'s call to end.
    Awaitility.await("the second event's call reaches the sidecar").atMost(Duration.ofSeconds(5))
        .until(() -> received.size() == 1);
    Awaitility.await("no second call while one is in flight").during(Duration.ofMillis(500))
        .atMost(Duration.ofSeconds(2)).until(() -> received.size() == 1);
    assertThat(entryIds(0)).containsExactly("second");
  }

  @Test
  void aBatchThatWaitedForItsSlotGetsOnlyTheTimeItsOldestEventHasLeft() throws IOException {
    // Given the full timeout, daprd could store an event seconds after its caller was answered 503 and had retried.
    var publisher = publisherWithOneCallInFlight();
    publisher.publish("first", event("first")).subscribe(done -> { }, failure -> { });
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> received.size() == 1);

    publisher.publish("second", event("second")).subscribe(done -> { }, failure -> { });
    long queued = System.nanoTime();
    Awaitility.await("the second event waits for the slot").during(Duration.ofMillis(500))
        .atMost(Duration.ofSeconds(2)).until(() -> received.size() == 1);
    replies.get(0).onNext(DaprProtos.BulkPublishResponse.getDefaultInstance());
    replies.get(0).onCompleted();

    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> received.size() == 2);
    assertThat(entryIds(1)).containsExactly("second");
    assertThat(deadlines.get(1)).as("the second call's deadline, sent 500 ms or more after the event was queued")
        .isLessThan(queued + TIMEOUT.toNanos() + Duration.ofMillis(100).toNanos());
  }

  @Test
  void aSidecarTimeoutOfFiftyMillisecondsStillLetsEventsBeSent() throws IOException {
    // Less time left than a call is otherwise worth (50 ms) from the very start: every follow would be a 503. The
    // connection is opened first, as the app's warm-up does: opening it may take longer than the 50 ms.
    var warmUp = publisherWithOneCallInFlight();
    warmUp.publish("warm-up", event("warm-up")).subscribe(done -> { }, failure -> { });
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> received.size() == 1);
    var publisher = new BulkPublisher(stub, "pubsub", "followerAdded", 100, 1, 100, Duration.ofMillis(50));

    publisher.publish("first", event("first")).subscribe(done -> { }, failure -> { });

    Awaitility.await("the event reaches the sidecar").atMost(Duration.ofSeconds(5)).until(() -> received.size() == 2);
    assertThat(entryIds(1)).containsExactly("first");
  }

  @Test
  void anEventWhoseCallerLeftWhileItWaitedForASlotIsNotSent() throws IOException {
    var publisher = publisherWithOneCallInFlight();
    publisher.publish("first", event("first")).subscribe(done -> { }, failure -> { });
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> received.size() == 1);

    publisher.publish("second", event("second")).subscribe(done -> { }, failure -> { }).dispose();
    publisher.publish("third", event("third")).subscribe(done -> { }, failure -> { });
    replies.get(0).onNext(DaprProtos.BulkPublishResponse.getDefaultInstance());
    replies.get(0).onCompleted();

    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> received.size() == 2);
    assertThat(entryIds(1)).containsExactly("third");
  }

  @Test
  void refusesAtOnceAnEventBeyondTheQueuesLimitAndTakesMoreOnceItDrains() throws IOException {
    var publisher = publisherWithOneCallInFlight(2);
    publisher.publish("in-flight", event("in-flight")).subscribe(done -> { }, failure -> { });
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> received.size() == 1);
    var queued = List.of(publisher.publish("queued-1", event("queued-1")).toFuture(),
        publisher.publish("queued-2", event("queued-2")).toFuture());

    // Within a fraction of the publish timeout (10 s), which is what a queued event would wait for.
    assertThatThrownBy(() -> publisher.publish("refused", event("refused")).block(Duration.ofSeconds(5)))
        .as("answered before any timeout")
        .isInstanceOfSatisfying(PublishFailedException.class, failed -> assertThat(failed.turnedAway()).isTrue());

    replies.get(0).onNext(DaprProtos.BulkPublishResponse.getDefaultInstance());
    replies.get(0).onCompleted();
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> received.size() == 2);
    assertThat(entryIds(1)).containsExactly("queued-1", "queued-2");
    replies.get(1).onNext(DaprProtos.BulkPublishResponse.getDefaultInstance());
    replies.get(1).onCompleted();
    assertThat(queued).allSatisfy(stored -> assertThat(stored).succeedsWithin(Duration.ofSeconds(5)));

    publisher.publish("later", event("later")).subscribe(done -> { }, failure -> { });
    Awaitility.await("room again once the queue drained").atMost(Duration.ofSeconds(5))
        .until(() -> received.size() == 3);
  }

  @Test
  void reportsTheFollowsItTurnsAwayInAWarningEveryTenSecondsRatherThanOneEach() throws IOException {
    var warnings = new ListAppender<ILoggingEvent>();
    warnings.start();
    var logger = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(BulkPublisher.class);
    logger.addAppender(warnings);
    var clock = VirtualTimeScheduler.getOrSet(); // the publisher's timer for its reports
    try {
      var publisher = publisherWithOneCallInFlight(1);
      publisher.publish("in-flight", event("in-flight")).subscribe(done -> { }, failure -> { });
      Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> received.size() == 1);
      publisher.publish("queued", event("queued")).subscribe(done -> { }, failure -> { });

      for (String refused : List.of("refused-1", "refused-2", "refused-3")) {
        assertThatThrownBy(() -> publisher.publish(refused, event(refused)).block(Duration.ofSeconds(5)))
            .isInstanceOfSatisfying(PublishFailedException.class, failed -> assertThat(failed.turnedAway()).isTrue());
      }
      clock.advanceTimeBy(Duration.ofSeconds(10));
      clock.advanceTimeBy(Duration.ofSeconds(10)); // none turned away since: no more reports

      assertThat(warnings.list).extracting(ILoggingEvent::getFormattedMessage).containsExactly(
          "follows answered 503 at once since the last report: 1; 1 events already wait for the sidecar",
          "follows answered 503 at once since the last report: 2; 1 events already wait for the sidecar");
    } finally {
      VirtualTimeScheduler.reset();
      logger.detachAppender(warnings);
    }
  }

  @Test
  void twoRequestsForOneEventInOneBatchGoOutAsOneEntryThatAnswersBoth() throws IOException {
    // A client's retry with its Idempotency-Key while the first try waits: daprd refuses a whole bulk call that
    // names an entry twice, and every other event of the batch would have its 503.
    var publisher = publisherWithOneCallInFlight();
    publisher.publish("first", event("first")).subscribe(done -> { }, failure -> { });
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> received.size() == 1);
    var tries = List.of(publisher.publish("retried", event("retried")).toFuture(),
        publisher.publish("other", event("other")).toFuture(),
        publisher.publish("retried", event("retried")).toFuture());

    answer(0);
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> received.size() == 2);
    assertThat(entryIds(1)).containsExactly("retried", "other");
    answer(1);
    assertThat(tries).allSatisfy(stored -> assertThat(stored).succeedsWithin(Duration.ofSeconds(5)));
  }

  @Test
  void theOtherEventsOfABatchThatRanOutOfItsOldestEventsTimeGoOutAgainWithTheirOwn() throws IOException {
    var publisher = publisherWithOneCallInFlight(100, Duration.ofSeconds(2));
    publisher.publish("first", event("first")).subscribe(done -> { }, failure -> { });
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> received.size() == 1);
    var oldest = publisher.publish("oldest", event("oldest")).toFuture();
    Awaitility.await("a second passes").during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3))
        .until(() -> received.size() == 1);
    var younger = publisher.publish("younger", event("younger")).toFuture();

    answer(0); // both leave in one call, with the oldest event's remaining second, and daprd does not answer
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> received.size() == 2);
    assertThat(entryIds(1)).containsExactly("oldest", "younger");

    Awaitility.await("the younger event sent again once that call ran out of time").atMost(Duration.ofSeconds(5))
        .until(() -> received.size() == 3);
    assertThat(entryIds(2)).containsExactly("younger");
    answer(2);
    assertThat(younger).succeedsWithin(Duration.ofSeconds(5));
    assertFailed(oldest);
  }

  @Test
  void anEventWithLessThanACallsWorthOfTimeLeftFailsUnsent() throws IOException {
    // After a stall, the event queued just behind the stalled call has almost nothing left: sent, its entry would
    // give the whole call its deadline, which daprd could not meet; the event would be answered 503 though stored,
    // and the call's other events sent twice.
    var publisher = publisherWithOneCallInFlight(100, Duration.ofSeconds(2));
    // One call answered first: "late" must queue within 50 ms of "stalled", which a first call's class loading and
    // connection would not leave it on a cold JVM.
    var warm = publisher.publish("warm", event("warm")).toFuture();
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> received.size() == 1);
    answer(0);
    assertThat(warm).succeedsWithin(Duration.ofSeconds(5));
    publisher.publish("stalled", event("stalled")).subscribe(done -> { }, failure -> { });
    var late = publisher.publish("late", event("late")).toFuture(); // queued behind it, at once
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> received.size() == 2);
    Awaitility.await("a second passes").during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3))
        .until(() -> received.size() == 2);
    var young = publisher.publish("young", event("young")).toFuture();

    // The stalled call runs out of time; the next call carries the young event only.
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> received.size() == 3);
    assertThat(entryIds(2)).containsExactly("young");
    answer(2);
    assertThat(young).succeedsWithin(Duration.ofSeconds(5));
    assertFailed(late);
  }

  private static void assertFailed(CompletableFuture<Void> stored) {
    assertThat(stored).failsWithin(Duration.ofSeconds(5)).withThrowableOfType(ExecutionException.class)
        .withCauseInstanceOf(PublishFailedException.class);
  }

  /** The event ids of bulk call number {@code call} (0-based), in order. */
  private List<String> entryIds(int call) {
    return received.get(call).getEntriesList().stream().map(DaprProtos.BulkPublishRequestEntry::getEntryId).toList();
  }

  private void answer(int call) {
    replies.get(call).onNext(DaprProtos.BulkPublishResponse.getDefaultInstance());
    replies.get(call).onCompleted();
  }

  private BulkPublisher publisherWithOneCallInFlight() throws IOException {
    return publisherWithOneCallInFlight(100);
  }

  private BulkPublisher publisherWithOneCallInFlight(int maxQueued) throws IOException {
    return publisherWithOneCallInFlight(maxQueued, TIMEOUT);
  }

  private BulkPublisher publisherWithOneCallInFlight(int maxQueued, Duration timeout) throws IOException {
    sidecar = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
        .addService(new DaprGrpc.DaprImplBase() {
          @Override
          public void bulkPublishEventAlpha1(DaprProtos.BulkPublishRequest request,
              StreamObserver<DaprProtos.BulkPublishResponse> reply) {
            deadlines.add(System.nanoTime() + Context.current().getDeadline().timeRemaining(TimeUnit.NANOSECONDS));
            received.add(request); // no answer unless the test gives one: the call stays in flight
            replies.add(reply);
          }
        })
        .build()
        .start();
    platform = new AnnotationConfigApplicationContext();
    TestPropertyValues.of("dapr.sidecar.grpc-port=" + sidecar.getPort(),
        "dapr.sidecar.timeout=" + TIMEOUT.toMillis() + "ms").applyTo(platform);
    platform.register(SidecarAutoConfiguration.class);
    platform.refresh();
    stub = platform.getBean(DaprGrpc.DaprStub.class).withInterceptors(new ClientInterceptor() {
      @Override
      public <Q, A> ClientCall<Q, A> interceptCall(MethodDescriptor<Q, A> method, CallOptions options, Channel next) {
        return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
          @Override
          public void sendMessage(Q message) {
            if (sendFails) {
              throw new IllegalStateException("cannot send");
            }
            super.sendMessage(message);
          }
        };
      }
    });
    return new BulkPublisher(stub, "pubsub", "followerAdded", 100, 1, maxQueued, timeout);
  }

  private static byte[] event(String id) {
    return ("{\"id\":\"" + id + "\"}").getBytes(StandardCharsets.UTF_8);
  }
}
