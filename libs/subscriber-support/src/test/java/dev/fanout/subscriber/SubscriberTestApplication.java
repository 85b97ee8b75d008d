package dev.fanout.subscriber;

import dev.fanout.platform.sidecar.SidecarAutoConfiguration;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import reactor.core.publisher.Mono;

/**
 * What a notification service adds to this library, for the slice tests: a handler, here a scripted one. The
 * state store is in memory, because no daprd runs next to the tests.
 */
@SpringBootConfiguration
// The WebFlux slice does not import the sidecar configuration the subscription now depends on.
@ImportAutoConfiguration(SidecarAutoConfiguration.class)
@Import(InMemoryStateStore.Beans.class)
class SubscriberTestApplication {

  /** Every context of this module must use it: daprd's subscription list is JVM-wide (see DaprRuntime). */
  static final String NAME = "subscriber-support-test";

  @Bean
  ScriptedHandler scriptedHandler() {
    return new ScriptedHandler();
  }

  @Bean
  MovableClock clock() {
    return new MovableClock(Instant.parse("2026-01-01T00:00:00Z"));
  }

  /** The fan-out figures on a clock the tests move by hand, so that what they assert of the times is exact. */
  @Bean
  FanOutLatency fanOutLatency(MovableClock clock) {
    return new FanOutLatency(clock);
  }

  /** Stands still until moved. */
  static final class MovableClock extends Clock {

    private volatile Instant now;

    MovableClock(Instant now) {
      this.now = now;
    }

    void advance(Duration by) {
      now = now.plus(by);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      throw new UnsupportedOperationException("UTC only");
    }
  }

  /** Records what it is handed and answers as the test scripted it (completing, by default). */
  static final class ScriptedHandler implements FollowerAddedHandler {

    private final List<ReceivedEvent> received = new CopyOnWriteArrayList<>();
    private final Map<String, Mono<Void>> outcomeOf = new ConcurrentHashMap<>();
    private final Map<String, RuntimeException> thrownFor = new ConcurrentHashMap<>();
    private volatile Mono<Void> outcome = Mono.empty();

    @Override
    public Mono<Void> handle(ReceivedEvent event) {
      received.add(event);
      RuntimeException thrown = thrownFor.get(event.id());
      if (thrown != null) {
        throw thrown;
      }
      return outcomeOf.getOrDefault(event.id(), outcome);
    }

    /** For this event, throw instead of returning an outcome, as a careless handler might. */
    void throwFor(String eventId, RuntimeException thrown) {
      thrownFor.put(eventId, thrown);
    }

    void answerWith(Mono<Void> outcome) {
      this.outcome = outcome;
    }

    /** This outcome for this event only, the default one for the others. */
    void answerFor(String eventId, Mono<Void> outcome) {
      outcomeOf.put(eventId, outcome);
    }

    List<ReceivedEvent> received() {
      return List.copyOf(received);
    }

    void reset() {
      received.clear();
      outcomeOf.clear();
      thrownFor.clear();
      outcome = Mono.empty();
    }
  }
}
