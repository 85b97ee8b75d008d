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
 * effect, as exact percentiles: {@code GET /actuator/fanoutlatency} answers for the interval since the previous
 * call, so that a benchmark reads one phase at a time. Same machine, same clock: no skew locally; across hosts it
 * includes their clock offset.
 */
@Endpoint(id = "fanoutlatency")
class FanOutLatency {

  private final Recorder recorder = new Recorder(3);
  private final Clock clock;

  FanOutLatency(Clock clock) {
    this.clock = clock;
  }

  void record(Instant acceptedAt) {
    if (acceptedAt != null) {
      long micros = Duration.between(acceptedAt, clock.instant()).toNanos() / 1_000;
      recorder.recordValue(Math.max(0, micros));
    }
  }

  @ReadOperation
  Map<String, Object> sinceLastRead() {
    Histogram interval = recorder.getIntervalHistogram();
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
