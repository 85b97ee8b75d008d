package dev.fanout.email;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fanout.platform.event.FollowerAdded;
import dev.fanout.subscriber.PermanentDeliveryFailure;
import dev.fanout.subscriber.ReceivedEvent;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.springframework.mail.MailException;
import org.springframework.mail.MailParseException;
import org.springframework.mail.MailPreparationException;
import org.springframework.mail.MailSendException;
import org.springframework.mail.MailSender;
import org.springframework.mail.SimpleMailMessage;
import reactor.test.StepVerifier;

class EmailNotifierTest {

  private static final ReceivedEvent EVENT = new ReceivedEvent("evt-42", "4bf92f3577b34da6a3ce929d0e0e4736",
      new FollowerAdded("alice", "bob", Instant.parse("2025-01-02T03:04:05Z")));

  private final FakeMailSender mailSender = new FakeMailSender();
  private final EmailNotifier notifier =
      new EmailNotifier(mailSender, new EmailProperties("notifications@followers.test", "users.test"));

  @Test
  void rendersAnEmailToTheFollowedUserAtTheRecipientDomain() {
    SimpleMailMessage message = notifier.render(EVENT);

    assertThat(message.getTo()).containsExactly("alice@users.test");
    assertThat(message.getFrom()).isEqualTo("notifications@followers.test");
    assertThat(message.getSubject()).isEqualTo("You have a new follower");
    // The event id lets a user's "I got this twice" be traced back to one or two deliveries.
    assertThat(message.getText()).contains("Hi alice", "bob started following you", "evt-42");
  }

  @Test
  void sendsTheRenderedEmailThroughTheMailSender() {
    StepVerifier.create(notifier.handle(EVENT)).verifyComplete();

    assertThat(mailSender.sent()).containsExactly(notifier.render(EVENT));
  }

  @Test
  void sendsNothingUntilSubscribed() {
    // daprd's status is only answered once the send is done, so the send must belong to the returned Mono.
    var send = notifier.handle(EVENT);
    assertThat(mailSender.sent()).isEmpty();

    StepVerifier.create(send).verifyComplete();
    assertThat(mailSender.sent()).as("sent by the Mono, once").hasSize(1);
  }

  @Test
  void turnsAnUnparseableMessageIntoAPermanentFailure() {
    var parseFailure = new MailParseException("bad address");
    mailSender.failWith(parseFailure);

    StepVerifier.create(notifier.handle(EVENT))
        .expectErrorSatisfies(error -> assertThat(error)
            .isInstanceOf(PermanentDeliveryFailure.class)
            .hasMessageContaining("bad address")
            .hasCause(parseFailure))
        .verify();
  }

  @Test
  void turnsAMessageThatCannotBePreparedIntoAPermanentFailure() {
    mailSender.failWith(new MailPreparationException("template broken"));

    StepVerifier.create(notifier.handle(EVENT))
        .expectError(PermanentDeliveryFailure.class)
        .verify();
  }

  @Test
  void keepsAFailedSendRetryable() {
    var sendFailure = new MailSendException("SMTP server unreachable");
    mailSender.failWith(sendFailure);

    // Anything but PermanentDeliveryFailure is answered RETRY by the subscription.
    StepVerifier.create(notifier.handle(EVENT))
        .expectErrorSatisfies(error -> assertThat(error).isSameAs(sendFailure))
        .verify();
  }

  @Test
  void sendsThroughABlockingSenderOffTheCallersThread() {
    notifier.handle(EVENT).block();

    assertThat(mailSender.sentOn()).isNotEqualTo(Thread.currentThread());
  }

  @Test
  void writesToTheLogOnTheCallersThread() {
    var logSender = new LoggingMailSender() {
      volatile Thread sentOn;

      @Override
      public void send(SimpleMailMessage... messages) {
        sentOn = Thread.currentThread();
        super.send(messages);
      }
    };
    var logNotifier = new EmailNotifier(logSender, new EmailProperties("notifications@followers.test", "users.test"));

    logNotifier.handle(EVENT).block();

    assertThat(logSender.sentOn).isEqualTo(Thread.currentThread());
  }

  /** Records the messages it is given and the thread it sent them on, or fails as told, like an SMTP server would. */
  private static final class FakeMailSender implements MailSender {

    private final List<SimpleMailMessage> sent = new CopyOnWriteArrayList<>();
    private volatile MailException failure;
    private volatile Thread sentOn;

    @Override
    public void send(SimpleMailMessage... messages) {
      sentOn = Thread.currentThread();
      if (failure != null) {
        throw failure;
      }
      sent.addAll(List.of(messages));
    }

    Thread sentOn() {
      return sentOn;
    }

    void failWith(MailException failure) {
      this.failure = failure;
    }

    List<SimpleMailMessage> sent() {
      return List.copyOf(sent);
    }
  }
}
