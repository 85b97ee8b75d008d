package dev.fanout.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fanout.runner.Pair;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What the subscribers' claims rely on in the real daprd's Redis state store, pinned so that a Dapr upgrade which
 * changes it fails here rather than as duplicated effects: inside a state transaction, a write whose ETag no record
 * has ("-1", IdempotencyStore.NO_RECORD) goes through where there is no record and is refused over one, while the
 * rest of the transaction is still written (Redis has no rollback), and the refused record's TTL is renewed.
 */
@ExtendWith(E2eStack.class)
class ClaimTransactionIT {

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @Test
  void aClaimInATransactionIsRefusedOverAnExistingRecordAndTheOthersAreStillWritten() throws Exception {
    Pair sidecar = E2eStack.stack().pair(E2eStack.PUSH);
    String first = "contract|" + UUID.randomUUID();
    String second = "contract|" + UUID.randomUUID();

    assertThat(transaction(sidecar, claim(first, "one", 100))).as("a claim over no record").isEqualTo(204);
    assertThat(transaction(sidecar, claim(first, "two", 200) + "," + claim(second, "two", 200)))
        .as("a transaction with a claim over an existing record").isEqualTo(500);

    assertThat(value(sidecar, first)).as("the refused claim").isEqualTo("\"one\"");
    assertThat(value(sidecar, second)).as("the other claim of the refused transaction").isEqualTo("\"two\"");
    long ttl = Long.parseLong(E2eStack.stack().redisCli("TTL", E2eStack.PUSH + "||" + first).trim());
    assertThat(ttl).as("the refused record's TTL, renewed by the transaction's EXPIRE").isGreaterThan(100);
  }

  private static String claim(String key, String value, int ttlSeconds) {
    return "{\"operation\":\"upsert\",\"request\":{\"key\":\"" + key + "\",\"value\":\"" + value + "\","
        + "\"etag\":\"-1\",\"options\":{\"concurrency\":\"first-write\",\"consistency\":\"strong\"},"
        + "\"metadata\":{\"ttlInSeconds\":\"" + ttlSeconds + "\"}}}";
  }

  private static int transaction(Pair sidecar, String operations) throws IOException, InterruptedException {
    var request = HttpRequest.newBuilder(sidecar.daprHttpUrl().resolve("/v1.0/state/statestore/transaction"))
        .timeout(Duration.ofSeconds(10))
        .header("dapr-api-token", sidecar.tokens().daprApiToken())
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"operations\":[" + operations + "]}"));
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  private static String value(Pair sidecar, String key) throws IOException, InterruptedException {
    URI uri = sidecar.daprHttpUrl().resolve("/v1.0/state/statestore/" + key.replace("|", "%7C"));
    var request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10))
        .header("dapr-api-token", sidecar.tokens().daprApiToken()).GET();
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString()).body();
  }
}
