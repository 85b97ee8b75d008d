package dev.fanout.email;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fanout.platform.event.FollowerAdded;
import dev.fanout.subscriber.PermanentDeliveryFailure;
import dev.fanout.subscriber.ReceivedEvent;
import java.io.IOException;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.mail.MailSendException;
import org.springframework.mail.javamail.JavaMailSenderImpl;
import reactor.test.StepVerifier;

/**
 * What an SMTP server's refusal of the recipient becomes, through the real JavaMail client: given up on (dropped
 * to the dead-letter topic) only when the server says the address itself is wrong, retried otherwise.
 */
class SmtpRefusalTest {

  private static final ReceivedEvent EVENT = new ReceivedEvent("evt-smtp", "4bf92f3577b34da6a3ce929d0e0e4736",
      new FollowerAdded("alice", "bob", Instant.parse("2025-01-02T03:04:05Z")));

  private FakeSmtpServer server;

  @AfterEach
  void stopTheServer() throws IOException {
    server.close();
  }

  @ParameterizedTest(name = "RCPT answered {0}")
  @ValueSource(strings = {"550 5.1.1 <alice@users.test>: Recipient address rejected: User unknown",
      "553 5.1.3 <alice@users.test>: Recipient address rejected: bad address syntax",
      "550 5.1.10 <alice@users.test>: Recipient address has null MX"})
  void givesUpOnARecipientTheServerSaysDoesNotExist(String reply) throws IOException {
    StepVerifier.create(notifierAgainst(reply).handle(EVENT))
        .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(PermanentDeliveryFailure.class)
            .hasMessageContaining(reply))
        .verify();
  }

  @ParameterizedTest(name = "RCPT answered {0}")
  @ValueSource(strings = {"554 5.7.1 <alice@users.test>: Relay access denied",
      "550 Requested action not taken: mailbox unavailable",
      "450 4.2.0 <alice@users.test>: Mailbox busy",
      "550 5.1.8 <notifications@followers.test>: Sender address rejected: Domain not found",
      "553 5.1.7 <notifications@followers.test>: Sender address rejected: bad syntax",
      "550 5.1.0 Address rejected"})
  void retriesARefusalThatIsNotTheAddresses(String reply) throws IOException {
    // Relaying denied is the server's configuration, not alice's address; a bare 550 does not say which it is; a
    // 4xx is temporary by definition. 5.1.7 and 5.1.8 are about the sender, this service's own setting (Postfix
    // answers them at RCPT): every email would be given up on until it is mended. 5.1.0 does not say whose.
    StepVerifier.create(notifierAgainst(reply).handle(EVENT))
        .expectError(MailSendException.class)
        .verify();
  }

  private EmailNotifier notifierAgainst(String rcptReply) throws IOException {
    server = new FakeSmtpServer(rcptReply);
    var sender = new JavaMailSenderImpl();
    sender.setHost("127.0.0.1");
    sender.setPort(server.port());
    return new EmailNotifier(sender, new EmailProperties("notifications@followers.test", "users.test"));
  }
}
