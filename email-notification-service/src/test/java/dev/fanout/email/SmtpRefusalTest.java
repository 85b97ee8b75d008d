package dev.fanout.email;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fanout.platform.event.FollowerAdded;
import dev.fanout.subscriber.PermanentDeliveryFailure;
import dev.fanout.subscriber.ReceivedEvent;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
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
      "553 5.1.3 <alice@users.test>: Recipient address rejected: bad address syntax"})
  void givesUpOnARecipientTheServerSaysDoesNotExist(String reply) throws IOException {
    StepVerifier.create(notifierAgainst(reply).handle(EVENT))
        .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(PermanentDeliveryFailure.class)
            .hasMessageContaining(reply))
        .verify();
  }

  @ParameterizedTest(name = "RCPT answered {0}")
  @ValueSource(strings = {"554 5.7.1 <alice@users.test>: Relay access denied",
      "550 Requested action not taken: mailbox unavailable",
      "450 4.2.0 <alice@users.test>: Mailbox busy"})
  void retriesARefusalThatIsNotTheAddresses(String reply) throws IOException {
    // Relaying denied is the server's configuration, not alice's address; a bare 550 does not say which it is; a
    // 4xx is temporary by definition.
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

  /** Speaks just enough SMTP to take a message, and answers RCPT TO with the reply it was given. */
  private static final class FakeSmtpServer implements AutoCloseable {

    private final ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
    private final String rcptReply;

    FakeSmtpServer(String rcptReply) throws IOException {
      this.rcptReply = rcptReply;
      var thread = new Thread(this::serve, "fake-smtp");
      thread.setDaemon(true);
      thread.start();
    }

    int port() {
      return socket.getLocalPort();
    }

    private void serve() {
      while (!socket.isClosed()) {
        try (Socket client = socket.accept();
            var in = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.US_ASCII));
            var out = new PrintWriter(client.getOutputStream(), true, StandardCharsets.US_ASCII)) {
          converse(in, out);
        } catch (IOException closed) {
          return;
        }
      }
    }

    private void converse(BufferedReader in, PrintWriter out) throws IOException {
      out.print("220 fake ESMTP\r\n");
      out.flush();
      for (String line; (line = in.readLine()) != null; ) {
        String command = line.length() < 4 ? line : line.substring(0, 4).toUpperCase();
        String reply = switch (command) {
          case "EHLO", "HELO" -> "250 fake";
          case "MAIL", "RSET", "NOOP" -> "250 2.0.0 Ok";
          case "RCPT" -> rcptReply;
          case "DATA" -> "554 5.5.1 Error: no valid recipients";
          case "QUIT" -> "221 2.0.0 Bye";
          default -> "502 5.5.2 Error: command not recognized";
        };
        out.print(reply + "\r\n");
        out.flush();
        if (command.equals("QUIT")) {
          return;
        }
      }
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
