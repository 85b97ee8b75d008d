package dev.fanout.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fanout.runner.Pair;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Nobody but a service's own sidecar can feed it events, nobody but the facade can publish them, and nobody without
 * its password reaches the broker.
 */
@ExtendWith(E2eStack.class)
class SecurityIT {

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @Test
  void aForgedEventSentStraightToASubscriberIsRefusedAndHasNoEffect() throws Exception {
    String forgedId = UUID.randomUUID().toString();
    String event = "{\"id\":\"" + forgedId + "\",\"specversion\":\"1.0\",\"type\":\"dev.fanout.followerAdded.v1\","
        + "\"source\":\"mallory\",\"datacontenttype\":\"application/json\","
        + "\"data\":{\"userId\":\"alice\",\"followerId\":\"mallory\",\"followedAt\":\"2026-01-01T00:00:00Z\"}}";
    // Shaped as daprd's bulk delivery, the only body the route takes: refused for the missing token, not the shape.
    String delivery = "{\"entries\":[{\"entryId\":\"e-1\",\"event\":" + event + "}]}";
    for (String subscriber : Fanout.SUBSCRIBERS) {
      Pair pair = E2eStack.stack().pair(subscriber);
      URI route = pair.appUrl().resolve("/followerAdded");
      assertThat(send(route, delivery, null)).as(subscriber + " without a token").isEqualTo(401);
      assertThat(send(route, delivery, "not-the-token")).as(subscriber + " with a wrong token").isEqualTo(401);
      assertThat(send(pair.appUrl().resolve("/dapr/subscribe"), null, null)).isEqualTo(401);
    }
    assertThat(Fanout.handled(E2eStack.EMAIL, List.of(forgedId))).isEmpty();
    assertThat(Fanout.handled(E2eStack.PUSH, List.of(forgedId))).isEmpty();
  }

  @Test
  void aSidecarRefusesCallsWithoutItsAppsToken() throws Exception {
    Pair facade = E2eStack.stack().pair(E2eStack.FACADE);
    long before = Fanout.streamLength();

    assertThat(send(facade.daprHttpUrl().resolve("/v1.0/publish/pubsub/followerAdded"), "{}", null)).isEqualTo(401);
    assertThat(send(facade.daprHttpUrl().resolve("/v1.0/metadata"), null, null)).isEqualTo(401);
    assertThat(send(facade.daprHttpUrl().resolve("/v1.0/healthz"), null, null)).as("health stays open").isEqualTo(204);
    assertThat(Fanout.streamLength()).isEqualTo(before);
  }

  @Test
  void onlyTheFacadeMayPublishFollowerAdded() throws Exception {
    long before = Fanout.streamLength();
    for (String subscriber : Fanout.SUBSCRIBERS) {
      Pair pair = E2eStack.stack().pair(subscriber);
      int status = send(pair.daprHttpUrl().resolve("/v1.0/publish/pubsub/followerAdded"),
          "{\"userId\":\"alice\",\"followerId\":\"mallory\"}", pair.tokens().daprApiToken());
      assertThat(status).as("publish through " + subscriber + "'s own sidecar, with its token").isEqualTo(403);
    }
    assertThat(Fanout.streamLength()).as("nothing reached the broker").isEqualTo(before);
  }

  @Test
  void theBrokerTurnsAwayAClientWithoutItsPassword() throws Exception {
    var builder = new ProcessBuilder("redis-cli", "-u", "redis://" + E2eStack.stack().redisAddress(),
        "XLEN", "followerAdded").redirectErrorStream(true);
    builder.environment().remove("REDISCLI_AUTH"); // whatever the caller's shell holds
    Process cli = builder.start();
    String answer = new String(cli.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    cli.waitFor();

    assertThat(answer).contains("NOAUTH");
    // While every sidecar of the stack, which sends it (components/*.yaml), goes on: this very test's stack.
    assertThat(E2eStack.stack().redisCli("PING")).isEqualTo("PONG");
  }

  @Test
  void noSidecarOrAppListensBeyondLoopback() {
    Map<String, String> listening = listeningSockets();
    for (Pair pair : E2eStack.stack().pairs()) {
      for (ProcessHandle process : List.of(pair.sidecarProcess().orElseThrow(), pair.appProcess().orElseThrow())) {
        List<String> addresses = socketInodes(process.pid()).filter(listening::containsKey).map(listening::get)
            .toList();
        assertThat(addresses).as("%s, pid %d, listens on", pair.name(), process.pid()).isNotEmpty()
            .allMatch(address -> address.startsWith("127.") || address.startsWith("[::1]"));
      }
    }
  }

  /**
   * Every socket of this machine that takes what anyone sends it, by inode, as address:port: TCP in LISTEN (0A), and
   * UDP not connected to one peer (07), which receives from all (daprd's default mDNS resolver was one, on 0.0.0.0).
   */
  private static Map<String, String> listeningSockets() {
    var found = new HashMap<String, String>();
    for (var table : Map.of("/proc/net/tcp", "0A", "/proc/net/tcp6", "0A", "/proc/net/udp", "07",
        "/proc/net/udp6", "07").entrySet()) {
      try (Stream<String> lines = Files.lines(Path.of(table.getKey()))) {
        lines.skip(1).map(line -> line.trim().split("\\s+")).filter(fields -> fields[3].equals(table.getValue()))
            .forEach(fields -> found.put(fields[9], address(fields[1])));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return found;
  }

  /** "0100007F:4E2B" is 127.0.0.1:20011; IPv6 is four little-endian words, shown as [::1] or [other]. */
  private static String address(String hex) {
    String[] parts = hex.split(":");
    int port = Integer.parseInt(parts[1], 16);
    String ip = parts[0];
    if (ip.length() == 8) {
      return String.format("%d.%d.%d.%d:%d", Integer.parseInt(ip.substring(6, 8), 16),
          Integer.parseInt(ip.substring(4, 6), 16), Integer.parseInt(ip.substring(2, 4), 16),
          Integer.parseInt(ip.substring(0, 2), 16), port);
    }
    if (ip.startsWith("0000000000000000FFFF0000")) { // IPv4-mapped
      return address(ip.substring(24) + ":" + parts[1]);
    }
    return switch (ip) {
      case "00000000000000000000000001000000" -> "[::1]";
      case "00000000000000000000000000000000" -> "[::]";
      default -> "[" + ip + "]";
    } + ":" + port;
  }

  private static Stream<String> socketInodes(long pid) {
    try (Stream<Path> fds = Files.list(Path.of("/proc", String.valueOf(pid), "fd"))) {
      return fds.map(fd -> {
        try {
          return Files.readSymbolicLink(fd).toString();
        } catch (IOException gone) {
          return "";
        }
      }).filter(link -> link.startsWith("socket:[")).map(link -> link.substring(8, link.length() - 1))
          .toList().stream();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static int send(URI uri, String body, String token) throws IOException, InterruptedException {
    var request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10));
    if (body == null) {
      request.GET();
    } else {
      request.POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/cloudevents+json");
    }
    if (token != null) {
      request.header("dapr-api-token", token);
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }
}
