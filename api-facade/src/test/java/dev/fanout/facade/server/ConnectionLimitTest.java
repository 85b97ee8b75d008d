package dev.fanout.facade.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/** The limit on a real Reactor Netty server, with clients on real sockets. */
class ConnectionLimitTest {

  private final ConnectionLimit limit = new ConnectionLimit(2);
  private DisposableServer server;

  @BeforeEach
  void startServer() {
    server = limit.apply(HttpServer.create()).host("127.0.0.1").port(0)
        // Reads the body first, as the facade does, so that a request expecting "100 Continue" gets one.
        .handle((request, response) -> response.sendString(
            request.receive().aggregate().asString().defaultIfEmpty("").map(body -> "ok")))
        .bindNow();
  }

  @AfterEach
  void stopServer() {
    server.disposeNow();
  }

  @Test
  void aClientBeyondTheLimitWaitsUntilAPlaceFrees() throws IOException {
    try (Socket first = connect(); Socket second = connect()) {
      await().until(limit::open, open -> open == 2);

      // The kernel completes the third connection's handshake, but the server does not accept it: its request
      // waits unread. (Connections that arrive together are accepted together, hence the third only now.)
      try (Socket third = connect()) {
        third.setSoTimeout(500);
        send(third);
        assertThatThrownBy(() -> third.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
        assertThat(limit.open()).isEqualTo(2);

        first.close();
        third.setSoTimeout(10_000);
        assertThat(read(third)).startsWith("HTTP/1.1 200");
      }
    }
  }

  @Test
  void whileFullEachAnswerClosesItsConnectionSoThatTheWaitingTakeTurns() throws IOException {
    try (Socket first = connect()) {
      assertThat(answer(first)).startsWith("HTTP/1.1 200").doesNotContainIgnoringCase("connection: close");
      assertThat(answer(first)).as("kept alive below the limit").startsWith("HTTP/1.1 200");

      try (Socket second = connect()) {
        await().until(limit::open, open -> open == 2);
        try (Socket third = connect()) {
          send(third);

          assertThat(answer(second)).containsIgnoringCase("connection: close");
          assertThat(second.getInputStream().read()).as("closed by the server").isEqualTo(-1);
          assertThat(read(third)).as("the waiting client's turn").startsWith("HTTP/1.1 200");
        }
      }
    }
  }

  @Test
  void whileFullAContinueKeepsTheConnectionForTheBodyToCome() throws IOException {
    try (Socket first = connect(); Socket second = connect()) {
      await().until(limit::open, open -> open == 2);
      second.getOutputStream().write(("POST / HTTP/1.1\r\nHost: facade\r\nContent-Length: 2\r\n"
          + "Expect: 100-continue\r\n\r\n").getBytes(StandardCharsets.US_ASCII));

      String interim = readUntil(second, "\r\n\r\n");
      assertThat(interim).startsWith("HTTP/1.1 100").doesNotContainIgnoringCase("connection: close");
      second.getOutputStream().write("hi".getBytes(StandardCharsets.US_ASCII));
      assertThat(read(second)).startsWith("HTTP/1.1 200").containsIgnoringCase("connection: close");
    }
  }

  @Test
  void closedConnectionsFreeTheirPlaces() throws IOException {
    for (int i = 0; i < 5; i++) {
      try (Socket client = connect()) {
        assertThat(answer(client)).startsWith("HTTP/1.1 200");
      }
    }
    await().until(limit::open, open -> open == 0);
    try (Socket first = connect(); Socket second = connect()) {
      assertThat(answer(first)).startsWith("HTTP/1.1 200");
      assertThat(answer(second)).startsWith("HTTP/1.1 200");
    }
  }

  @Test
  void refusesANonPositiveLimitOrRequestTimeout() {
    assertThatThrownBy(() -> new ServerLimits(0, Duration.ofSeconds(10)))
        .hasMessageContaining("fanout.server.max-connections");
    assertThatThrownBy(() -> new ServerLimits(500, Duration.ZERO)).hasMessageContaining("fanout.server.request-timeout");
  }

  private Socket connect() throws IOException {
    Socket socket = new Socket();
    socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 5_000);
    socket.setSoTimeout(10_000);
    return socket;
  }

  private static String answer(Socket socket) throws IOException {
    send(socket);
    return read(socket);
  }

  private static void send(Socket socket) throws IOException {
    socket.getOutputStream().write("GET / HTTP/1.1\r\nHost: facade\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    socket.getOutputStream().flush();
  }

  /** One whole answer: its head, then the two bytes of its body ("ok", sent with Content-Length: 2). */
  private static String read(Socket socket) throws IOException {
    return readUntil(socket, "\r\n\r\nok");
  }

  private static String readUntil(Socket socket, String end) throws IOException {
    InputStream in = socket.getInputStream();
    StringBuilder answer = new StringBuilder();
    while (!answer.toString().endsWith(end)) {
      int next = in.read();
      if (next < 0) {
        throw new IOException("the connection closed after: " + answer);
      }
      answer.append((char) next);
    }
    return answer.toString();
  }
}
