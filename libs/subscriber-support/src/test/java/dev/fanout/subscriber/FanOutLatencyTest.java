package dev.fanout.subscriber;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class FanOutLatencyTest {

  private static final Instant ACCEPTED = Instant.parse("2026-12-01T10:00:00Z");

  @Test
  void reportsAcceptanceToEffectAndAcceptanceToReceiptSeparately() {
    var latency = new FanOutLatency(Clock.fixed(ACCEPTED.plusMillis(12), ZoneOffset.UTC));

    latency.received(ACCEPTED, ACCEPTED.plusMillis(7));
    latency.received(ACCEPTED, ACCEPTED.plusMillis(9));
    latency.handled(ACCEPTED);

    Map<String, Object> read = latency.sinceLastRead();
    assertThat(read).containsEntry("count", 1L);
    assertThat((double) read.get("p50Ms")).isCloseTo(12.0, within());
    @SuppressWarnings("unchecked")
    var receipt = (Map<String, Object>) read.get("receipt");
    assertThat(receipt).containsEntry("count", 2L);
    assertThat((double) receipt.get("p50Ms")).isCloseTo(7.0, within());
    assertThat((double) receipt.get("maxMs")).isCloseTo(9.0, within());
  }

  @Test
  void answersForTheIntervalSinceThePreviousRead() {
    var latency = new FanOutLatency(Clock.fixed(ACCEPTED.plusMillis(5), ZoneOffset.UTC));
    latency.handled(ACCEPTED);
    latency.received(ACCEPTED, ACCEPTED.plusMillis(3));
    latency.sinceLastRead();

    Map<String, Object> next = latency.sinceLastRead();

    assertThat(next).containsEntry("count", 0L);
    assertThat(next.get("receipt")).asInstanceOf(InstanceOfAssertFactories.MAP)
        .containsEntry("count", 0L);
  }

  @Test
  void ignoresEventsWithoutAnAcceptanceTime() {
    var latency = new FanOutLatency(Clock.fixed(ACCEPTED, ZoneOffset.UTC));

    latency.received(null, ACCEPTED);
    latency.handled(null);

    assertThat(latency.sinceLastRead()).containsEntry("count", 0L);
  }

  @Test
  void recordsAnAcceptanceTimeCenturiesAwayAtItsBoundsInsteadOfFailing() {
    var latency = new FanOutLatency(Clock.fixed(ACCEPTED, ZoneOffset.UTC));

    latency.handled(Instant.parse("1000-01-01T00:00:00Z"));
    latency.received(Instant.parse("2400-01-01T00:00:00Z"), ACCEPTED);

    Map<String, Object> read = latency.sinceLastRead();
    assertThat((double) read.get("maxMs")).isCloseTo(FanOutLatency.LONGEST.toMillis(), Offset.offset(1e8));
    assertThat(read.get("receipt")).asInstanceOf(InstanceOfAssertFactories.MAP).containsEntry("count", 1L)
        .containsEntry("maxMs", 0.0);
  }

  private static Offset<Double> within() {
    return Offset.offset(0.01);
  }
}
