package dev.fanout.e2e;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** What the end-to-end tests do to the running system and how they observe it: HTTP in, log lines and Redis out. */
final class Fanout {

  /** The work line of each subscriber: the notification it produced, naming the event. */
  static final Map<String, Pattern> HANDLED = Map.of(
      E2eStack.EMAIL, Pattern.compile("LoggingMailSender .*\\(event ([0-9a-f-]{36})\\)"),
      E2eStack.PUSH, Pattern.compile("LoggingPushGateway .* event=([0-9a-f-]{36})"));

  static final List<String> SUBSCRIBERS = List.of(E2eStack.EMAIL, E2eStack.PUSH);

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  record Response(int status, String body, String contentType) {
    String eventId() {
      try {
        return JSON.readTree(body).path("eventId").asText(null);
      } catch (IOException e) {
        return null;
      }
    }
  }

  static URI facade() {
    return E2eStack.stack().pair(E2eStack.FACADE).appUrl();
  }

  static Response follow(String userId, String followerId) {
    return post("application/json",
        "{\"userId\":\"" + userId + "\",\"followerId\":\"" + followerId + "\"}", Map.of());
  }

  static Response post(String contentType, String body, Map<String, String> headers) {
    var request = HttpRequest.newBuilder(facade().resolve("/followers"))
        .timeout(Duration.ofSeconds(30))
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (contentType != null) {
      request.header("Content-Type", contentType);
    }
    headers.forEach(request::header);
    try {
      var response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
      return new Response(response.statusCode(), response.body(),
          response.headers().firstValue("Content-Type").orElse(""));
    } catch (IOException e) {
      throw new IllegalStateException("POST /followers failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** How many times each event was handled by {@code appId} (all its replicas), for the given events only. */
  static Map<String, Long> handled(String appId, Collection<String> eventIds) {
    Set<String> wanted = Set.copyOf(eventIds);
    return E2eStack.logs().captured(appId, HANDLED.get(appId)).stream()
        .filter(wanted::contains)
        .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
  }

  /** Waits until every subscriber has handled every one of the events at least once. */
  static void awaitHandledByAll(Collection<String> eventIds, Duration atMost) {
    for (String appId : SUBSCRIBERS) {
      await(appId + " handles all " + eventIds.size() + " events").atMost(atMost).pollInterval(Duration.ofMillis(200))
          .until(() -> handled(appId, eventIds).size() == eventIds.size());
    }
  }

  /** Entries delivered to the group of {@code appId} and not yet acknowledged: each could be redelivered. */
  static long pending(String appId) {
    String summary = E2eStack.stack().redisCli("XPENDING", "followerAdded", appId);
    return Long.parseLong(summary.lines().findFirst().orElse("0").trim());
  }

  static long streamLength() {
    return Long.parseLong(E2eStack.stack().redisCli("XLEN", "followerAdded"));
  }

  private Fanout() {
  }
}
