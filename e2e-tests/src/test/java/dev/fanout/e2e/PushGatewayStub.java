package dev.fanout.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The push gateway the push service talks to in the end-to-end tests: a real HTTP server on loopback, so that
 * the service's OkHttp path runs for real, and the one place that sees the push service's effects. Its answer
 * depends on the followed user's name, so that a test picks a failure by picking a user:
 * {@code flaky-*} 503 for the first two attempts of each event, then 200; {@code rejected-*} 400 always;
 * {@code refused-later-*} 503 the first time, then 400; {@code down-*} 503 always; {@code slow-*} answers 200 after
 * {@link #SLOW}, {@code pause-*} after {@link #PAUSE}; anyone else 200.
 */
final class PushGatewayStub implements AutoCloseable {

  static final Duration SLOW = Duration.ofSeconds(20);

  /** Long enough to hold the push service's one delivery in flight while a test lines up the next batch. */
  static final Duration PAUSE = Duration.ofSeconds(1);

  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpServer server;
  private final ConcurrentLinkedQueue<String> accepted = new ConcurrentLinkedQueue<>();
  private final Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();
  private final Map<String, String> users = new ConcurrentHashMap<>();

  PushGatewayStub() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 200);
    server.setExecutor(Executors.newCachedThreadPool());
    server.createContext("/notifications", this::handle);
    server.start();
  }

  URI url() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/notifications");
  }

  /** Every event id the gateway has accepted so far. */
  Set<String> acceptedIds() {
    return Set.copyOf(accepted);
  }

  /** Event ids the gateway accepted (answered 2xx): each is one notification a user got. */
  Map<String, Long> accepted(Collection<String> eventIds) {
    var wanted = Set.copyOf(eventIds);
    return accepted.stream().filter(wanted::contains)
        .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
  }

  /** The userId of the push last sent for the event; null when none came. */
  String userOf(String eventId) {
    return users.get(eventId);
  }

  int attempts(String eventId) {
    var count = attempts.get(eventId);
    return count == null ? 0 : count.get();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      JsonNode body = JSON.readTree(exchange.getRequestBody());
      String user = body.path("userId").asText();
      String eventId = body.path("eventId").asText();
      int attempt = attempts.computeIfAbsent(eventId, id -> new AtomicInteger()).incrementAndGet();
      users.put(eventId, user);
      int status;
      if (user.startsWith("flaky-")) {
        status = attempt <= 2 ? 503 : 200;
      } else if (user.startsWith("rejected-")) {
        status = 400;
      } else if (user.startsWith("refused-later-")) {
        status = attempt == 1 ? 503 : 400;
      } else if (user.startsWith("down-")) {
        status = 503;
      } else {
        if (user.startsWith("slow-")) {
          sleep(SLOW);
        } else if (user.startsWith("pause-")) {
          sleep(PAUSE);
        }
        status = 200;
      }
      if (status == 200) {
        accepted.add(eventId);
      }
      byte[] answer = ("{\"status\":" + status + "}").getBytes();
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(status, answer.length);
      exchange.getResponseBody().write(answer);
    }
  }

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }

}
