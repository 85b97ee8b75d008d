package dev.fanout.subscriber;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;

/**
 * How long events take from the facade's acceptance ({@code followedAt}, stamped by the facade) to this service's
 * effect, as exact percentiles, and how much of that passed before the delivery carrying them reached the app (its
 * {@code receipt}): what is left is the app's own handling. {@code GET /actuator/fanoutlatency} answers for the
 * interval since the previous call, so that a benchmark reads one phase at a time. Same machine, same clock: no skew
 * locally; across hosts it includes their clock offset.
 */
@Endpoint(id = "fanoutlatency")
class FanOutLatency {

  static final Duration LONGEST = Duration.ofDays(365);

  private final Recorder toEffect = new Recorder(3);
  private final Recorder toReceipt = new Recorder(3);
  private final Clock clock;

  FanOutLatency(Clock clock) {
    this.clock = clock;
  }

  /** Now, by this service's clock: when a delivery arrived, for {@link #received}. */
  Instant now() {
    return clock.instant();
  }

  /** A delivery that arrived at {@code receivedAt} carried an event accepted at {@code acceptedAt}. */
  void received(Instant acceptedAt, Instant receivedAt) {
    record(toReceipt, acceptedAt, receivedAt);
  }

  /** The effect of an event accepted at {@code acceptedAt} has happened, just now. */
  void handled(Instant acceptedAt) {
    record(toEffect, acceptedAt, clock.instant());
  }

  private static void record(Recorder recorder, Instant acceptedAt, Instant at) {
    if (acceptedAt != null) {
      recorder.recordValue(micros(Duration.between(acceptedAt, at)));
    }
  }

  /**
   * Between 0 (another host's clock ahead of ours) and {@link #LONGEST}. {@code followedAt} is the event's: a
   * publisher other than the facade may send any instant, and the nanoseconds of one ~292 years away overflow. A
   * figure must never fail the delivery it measures.
   */
  private static long micros(Duration elapsed) {
    if (elapsed.isNegative()) {
      return 0;
    }
    return elapsed.compareTo(LONGEST) > 0 ? LONGEST.toNanos() / 1_000 : elapsed.toNanos() / 1_000;
  }

  /** Acceptance → effect at the top level, acceptance → receipt under {@code receipt}. */
  @ReadOperation
  Map<String, Object> sinceLastRead() {
    Map<String, Object> answer = percentiles(toEffect.getIntervalHistogram());
    answer.put("receipt", percentiles(toReceipt.getIntervalHistogram()));
    return answer;
  }

  private static Map<String, Object> percentiles(Histogram interval) {
    var answer = new LinkedHashMap<String, Object>();
    answer.put("count", interval.getTotalCount());
    for (double percentile : new double[] {50, 90, 99, 99.9}) {
      answer.put("p" + (percentile % 1 == 0 ? String.valueOf((int) percentile) : String.valueOf(percentile)) + "Ms",
          interval.getValueAtPercentile(percentile) / 1000.0);
    }
    answer.put("maxMs", interval.getMaxValue() / 1000.0);
    return answer;
  }
}
