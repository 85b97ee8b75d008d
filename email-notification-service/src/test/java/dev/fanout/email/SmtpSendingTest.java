package dev.fanout.email;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fanout.subscriber.DaprDelivery;
import dev.fanout.subscriber.InMemoryStateStore;
import dev.fanout.subscriber.RunningSubscriber;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * The service as configured (application.yml), with SMTP_HOST set, against a server that takes UTF-8 addresses:
 * what goes over the wire for a user whose id is not ASCII.
 */
@RunningSubscriber
@Import(InMemoryStateStore.Beans.class)
class SmtpSendingTest {

  private static final FakeSmtpServer SERVER = start();

  @Autowired
  WebTestClient client;

  private static FakeSmtpServer start() {
    try {
      return new FakeSmtpServer("250 2.1.5 Ok", "8BITMIME", "SMTPUTF8");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @DynamicPropertySource
  static void smtp(DynamicPropertyRegistry registry) {
    registry.add("spring.mail.host", () -> "127.0.0.1");
    registry.add("spring.mail.port", SERVER::port);
  }

  @AfterAll
  static void stop() throws IOException {
    SERVER.close();
  }

  @Test
  void sendsAnAddressBeyondAsciiAsUtf8ToAServerThatTakesIt() {
    DaprDelivery.deliverBatch(client, DaprDelivery.batch(DaprDelivery.cloudEvent("evt-smtp-utf8", """
        {"userId": "Jos\u00E9-\u092C\u094B\u092C", "followerId": "bob", "followedAt": "2025-01-02T03:04:05Z"}""")))
        .answers("SUCCESS");

    assertThat(SERVER.commands()).contains(
        "MAIL FROM:<notifications@followers.example> SMTPUTF8",
        "RCPT TO:<Jos\u00E9-\u092C\u094B\u092C@users.example>");
  }
}
