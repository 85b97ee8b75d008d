package dev.fanout.push;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.fanout.subscriber.DaprDelivery;
import dev.fanout.subscriber.InMemoryStateStore;
import dev.fanout.subscriber.RunningSubscriber;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Collections;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * A bulk delivery's pushes reach the gateway together, not a few at a time: the gateway here holds every
 * request until the whole batch has arrived, and answers 503 to those it held for 5 s in vain.
 */
@RunningSubscriber
@Import(InMemoryStateStore.Beans.class)
class HttpPushGatewayConcurrencyTest {

  private static final int BATCH = 32; // FollowerAddedSubscription.MAX_BATCH, a full delivery
  private static final CountDownLatch ARRIVED = new CountDownLatch(BATCH);
  private static final ExecutorService THREADS = Executors.newFixedThreadPool(BATCH);
  private static final HttpServer GATEWAY = holdingGateway();

  private static HttpServer holdingGateway() {
    try {
      var server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), BATCH);
      server.createContext("/v1/push", exchange -> {
        ARRIVED.countDown();
        boolean together = false;
        try {
          together = ARRIVED.await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        exchange.getRequestBody().readAllBytes();
        exchange.sendResponseHeaders(together ? 200 : 503, -1);
        exchange.close();
      });
      server.setExecutor(THREADS);
      server.start();
      return server;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @DynamicPropertySource
  static void pointAtTheGateway(DynamicPropertyRegistry registry) {
    registry.add("fanout.push.gateway-url",
        () -> "http://127.0.0.1:" + GATEWAY.getAddress().getPort() + "/v1/push");
    registry.add("fanout.push.timeout", () -> "20s"); // a held call must not time out on our side
  }

  @AfterAll
  static void stopTheGateway() {
    GATEWAY.stop(0);
    THREADS.shutdownNow();
  }

  @Autowired
  WebTestClient client;

  @Test
  void sendsAFullBatchsPushesAllAtOnce() {
    String[] events = IntStream.range(0, BATCH)
        .mapToObj(i -> DaprDelivery.cloudEvent("evt-together-" + i, """
            {"userId": "alice", "followerId": "bob", "followedAt": "2025-01-02T03:04:05Z"}"""))
        .toArray(String[]::new);

    DaprDelivery.deliverBatch(client, DaprDelivery.batch(events))
        .answers(Collections.nCopies(BATCH, "SUCCESS").toArray(String[]::new));

    assertThat(ARRIVED.getCount()).as("pushes still to arrive when the first were answered").isZero();
  }
}
