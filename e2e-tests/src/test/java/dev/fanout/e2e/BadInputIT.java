package dev.fanout.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Against the real facade and broker: a client mistake gets problem details and adds nothing to the stream. */
@ExtendWith(E2eStack.class)
class BadInputIT {

  @Test
  void badRequestsPublishNothing() {
    long before = Fanout.streamLength();

    assertProblem(Fanout.post(null, "", Map.of()), 400);
    assertProblem(Fanout.post("application/json", "{\"userId\": \"alice\",", Map.of()), 400);
    assertProblem(Fanout.post("application/json", "{\"userId\": \"alice\"}", Map.of()), 400);
    assertProblem(Fanout.post("application/json", "{\"userId\": \"alice\", \"followerId\": \"alice\"}", Map.of()), 400);
    assertProblem(Fanout.post("application/json", "{\"userId\": \"a b\", \"followerId\": \"bob\"}", Map.of()), 400);
    assertProblem(Fanout.post("text/plain", "alice follows bob", Map.of()), 415);
    String aliceByBob = "{\"userId\": \"alice\", \"followerId\": \"bob\"}";
    assertProblem(Fanout.post("application/json", aliceByBob, Map.of("Content-Encoding", "br")), 415);
    assertProblem(Fanout.post("application/json", aliceByBob, Map.of("Idempotency-Key", "\"unterminated")), 400);
    assertProblem(Fanout.post("application/json", "{\"userId\": \"mallory\", \"userId\": \"alice\", "
        + "\"followerId\": \"bob\"}", Map.of()), 400);
    assertProblem(Fanout.post("application/json", "{\"pad\": \"" + "x".repeat(20_000) + "\"}", Map.of()), 413);
    // Refused by Reactor Netty before the app reads the request: the same problem details all the same.
    assertProblem(Fanout.post("application/json", aliceByBob, Map.of("X-Pad", "x".repeat(9_000))), 431);

    assertThat(Fanout.streamLength()).as("XLEN followerAdded").isEqualTo(before);
  }

  private static void assertProblem(Fanout.Response response, int status) {
    assertThat(response.status()).as(response.body()).isEqualTo(status);
    assertThat(response.contentType()).isEqualTo("application/problem+json");
  }
}
