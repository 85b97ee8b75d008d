package dev.fanout.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** One grep over the three services' access logs follows a request from the facade to both subscribers. */
@ExtendWith(E2eStack.class)
class TracingIT {

  @Test
  void oneRequestsTraceIdIsInTheAccessLogsOfAllThreeServices() {
    String trace = UUID.randomUUID().toString().replace("-", "");

    var response = Fanout.post("application/json", "{\"userId\":\"carol\",\"followerId\":\"dave\"}",
        Map.of("traceparent", "00-" + trace + "-00f067aa0ba902b7-01"));
    assertThat(response.status()).isEqualTo(202);

    // The access line is written as the exchange completes, which may be just after the client has its answer.
    await("facade access log carries the trace").atMost(Duration.ofSeconds(10))
        .until(() -> accessLines(E2eStack.FACADE, trace, "POST /followers 202") == 1);
    for (String subscriber : Fanout.SUBSCRIBERS) {
      await(subscriber + " access log carries the trace").atMost(Duration.ofSeconds(30))
          .until(() -> accessLines(subscriber, trace, "POST /followerAdded 200") == 1);
    }
  }

  private static long accessLines(String appId, String traceId, String request) {
    return E2eStack.logs().of(appId, line -> line.contains(" access ") && line.contains(request)
        && line.contains("trace=" + traceId)).size();
  }
}
