package dev.fanout.e2e;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fanout.runner.Pair;
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

  /** The email service's effect: the mail it sent (to the log), naming the event. */
  static final Pattern EMAIL_SENT = Pattern.compile("LoggingMailSender .*\\(event ([0-9a-f-]{36})\\)");

  static final List<String> SUBSCRIBERS = List.of(E2eStack.EMAIL, E2eStack.PUSH);

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  record Response(int status, String body, String contentType, boolean retryAfter) {
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
          response.headers().firstValue("Content-Type").orElse(""),
          response.headers().firstValue("Retry-After").isPresent());
    } catch (IOException e) {
      throw new IllegalStateException("POST /followers failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * How many times each of the events had its effect in {@code appId} (all replicas): a mail sent, a push the
   * gateway accepted. An event that is absent was not handled (yet); a count above one is a duplicate effect.
   */
  static Map<String, Long> handled(String appId, Collection<String> eventIds) {
    if (appId.equals(E2eStack.PUSH)) {
      return E2eStack.pushGateway().accepted(eventIds);
    }
    Set<String> wanted = Set.copyOf(eventIds);
    return E2eStack.logs().captured(appId, EMAIL_SENT).stream()
        .filter(wanted::contains)
        .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
  }

  /**
   * Every event that has had its effect through {@code pair} so far: the lines of that replica alone for email; for
   * push, whose gateway cannot tell replicas apart, every push the gateway took (the push service runs one).
   */
  static Set<String> effectedBy(Pair pair) {
    if (pair.name().startsWith(E2eStack.PUSH)) {
      return E2eStack.pushGateway().acceptedIds();
    }
    return Set.copyOf(E2eStack.logs().captured(pair.name(), EMAIL_SENT));
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
    String first = summary.lines().findFirst().orElse("").trim();
    // NOGROUP (the group is being recreated after data loss) or the broker down: not drained yet.
    return first.matches("\\d+") ? Long.parseLong(first) : Long.MAX_VALUE;
  }

  /**
   * Every entry of the stream delivered to the group of {@code appId} and acknowledged. (XINFO's lag is an estimate
   * once the stream was trimmed: compare ids instead.)
   */
  static boolean drained(String appId) {
    List<String> stream = E2eStack.stack().redisCli("XINFO", "STREAM", "followerAdded").lines().toList();
    List<String> groups = E2eStack.stack().redisCli("XINFO", "GROUPS", "followerAdded").lines().toList();
    int group = groups.indexOf(appId);
    int newest = stream.indexOf("last-generated-id");
    if (group < 0 || newest < 0) {
      return false;
    }
    List<String> fields = groups.subList(group, groups.size());
    String lastDelivered = fields.get(fields.indexOf("last-delivered-id") + 1);
    return lastDelivered.equals(stream.get(newest + 1)) && pending(appId) == 0;
  }

  /** Redelivered copies of these events that a subscriber recognised and gave no second effect. */
  static long duplicatesSuppressed(String appId, Collection<String> eventIds) {
    Set<String> wanted = Set.copyOf(eventIds);
    return E2eStack.logs().captured(appId, DUPLICATE).stream().filter(wanted::contains).count();
  }

  /** How many times a subscriber's app received the event (first delivery and every redelivery). */
  static long deliveries(String appId, String eventId) {
    return E2eStack.logs().captured(appId, RECEIVED).stream().filter(eventId::equals).count();
  }

  private static final Pattern DUPLICATE =
      Pattern.compile("FollowerAddedSubscription +followerAdded id=([0-9a-f-]{36}) .*duplicate: already handled");
  private static final Pattern RECEIVED =
      Pattern.compile("FollowerAddedSubscription +followerAdded id=([0-9a-f-]{36}) trace=\\w+ follower=");

  static long streamLength() {
    return streamLength("followerAdded");
  }

  static long streamLength(String stream) {
    return Long.parseLong(E2eStack.stack().redisCli("XLEN", stream));
  }

  private Fanout() {
  }
}
