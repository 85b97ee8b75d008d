package dev.fanout.platform.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.http.converter.json.Jackson2ObjectMapperBuilder;
import org.springframework.http.server.reactive.ReactorHttpHandlerAdapter;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/** Against a real Reactor Netty server over plain sockets: the failures come from bytes no HTTP client would send. */
class DecodingFailureProblemsTest {

  private static final ObjectMapper mapper = Jackson2ObjectMapperBuilder.json().build();
  private static DisposableServer server;

  @BeforeAll
  static void start() {
    server = new DecodingFailureProblems(mapper).apply(HttpServer.create().host("127.0.0.1").port(0))
        .route(routes -> routes
            .get("/ok", (request, response) -> response.sendString(Mono.just("ok")))
            // Answers once the whole body is in, as the facade does, so that the refusal of a broken one comes first.
            .post("/drain", (request, response) -> request.receive().then(response.send()))
            // An answer of the app's own that looks like Reactor Netty's refusals: it must reach the client as it is.
            .get("/empty-400", (request, response) -> response.status(400).keepAlive(false).send()))
        .bindNow();
  }

  @AfterAll
  static void stop() {
    server.disposeNow();
  }

  @Test
  void answersARequestLineTooLongWith414ProblemDetails() throws IOException {
    var answer = exchange("GET /" + "a".repeat(5000) + " HTTP/1.1\r\nHost: x\r\n\r\n");

    assertProblem(answer, 414, "The request line is too long: ");
  }

  @Test
  void answersHeadersTooLargeWith431ProblemDetails() throws IOException {
    var answer = exchange("GET /ok HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(9000) + "\r\n\r\n");

    assertProblem(answer, 431, "The request's headers are too large: ");
  }

  @Test
  void answersAMalformedHeaderWith400ProblemDetails() throws IOException {
    var answer = exchange("GET /ok HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n");

    assertProblem(answer, 400, "The request is not valid HTTP/1.1: ");
  }

  @Test
  void answersABodyWhoseChunkedFramingBreaksWith400ProblemDetails() throws IOException {
    var answer = exchange("POST /drain HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "2\r\nhi\r\nzz\r\n");

    assertProblem(answer, 400, "The request is not valid HTTP/1.1: ");
  }

  @Test
  void answersATargetThatSpringCannotParseWith400ProblemDetails() throws IOException {
    // Spring's own adapter in front, as in the apps: it is what refuses the target.
    var spring = new DecodingFailureProblems(mapper).apply(HttpServer.create().host("127.0.0.1").port(0))
        .handle(new ReactorHttpHandlerAdapter((request, response) -> response.setComplete()))
        .bindNow();
    try {
      var answer = exchange(spring, "GET /ok?ids=1&q=a|b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      assertProblem(answer, 400, "The request target is not a valid URI: ", false);

      var fine = exchange(spring, "GET /ok?ids=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      assertThat(fine.status()).isEqualTo(200);
    } finally {
      spring.disposeNow();
    }
  }

  @Test
  void leavesTheAppsOwnAnswersAlone() throws IOException {
    var ok = exchange("GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assertThat(ok.status()).isEqualTo(200);
    assertThat(ok.body()).isEqualTo("ok");

    var empty = exchange("GET /empty-400 HTTP/1.1\r\nHost: x\r\n\r\n");
    assertThat(empty.status()).isEqualTo(400);
    assertThat(empty.headers()).doesNotContainKey("content-type");
    assertThat(empty.body()).isEmpty();
  }

  private static void assertProblem(Answer answer, int status, String detailStart) throws IOException {
    assertProblem(answer, status, detailStart, true);
  }

  private static void assertProblem(Answer answer, int status, String detailStart, boolean closedByServer)
      throws IOException {
    assertThat(answer.status()).isEqualTo(status);
    assertThat(answer.headers()).containsEntry("content-type", "application/problem+json")
        .containsEntry("content-length", String.valueOf(answer.body().getBytes(StandardCharsets.UTF_8).length));
    if (closedByServer) {
      assertThat(answer.headers()).containsEntry("connection", "close");
    }
    JsonNode problem = mapper.readTree(answer.body());
    assertThat(problem.path("status").asInt()).isEqualTo(status);
    assertThat(problem.path("title").asText()).isNotBlank();
    assertThat(problem.path("detail").asText()).startsWith(detailStart).hasSizeGreaterThan(detailStart.length());
  }

  /** Sends the bytes and reads until the server closes the connection, as it does after each of these answers. */
  private static Answer exchange(String request) throws IOException {
    return exchange(server, request);
  }

  private static Answer exchange(DisposableServer server, String request) throws IOException {
    try (var socket = new Socket("127.0.0.1", server.port())) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
      String raw = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      int end = raw.indexOf("\r\n\r\n");
      assertThat(end).as("an HTTP answer, not: %s", raw).isPositive();
      String[] head = raw.substring(0, end).split("\r\n");
      Map<String, String> headers = new TreeMap<>();
      for (int i = 1; i < head.length; i++) {
        String[] field = head[i].split(":", 2);
        headers.put(field[0].trim().toLowerCase(Locale.ROOT), field[1].trim());
      }
      return new Answer(Integer.parseInt(head[0].split(" ")[1]), headers, raw.substring(end + 4));
    }
  }

  private record Answer(int status, Map<String, String> headers, String body) {}
}
