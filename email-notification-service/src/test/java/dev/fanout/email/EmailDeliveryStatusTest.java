package dev.fanout.email;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.argThat;
import static org.mockito.BDDMockito.willThrow;
import static org.mockito.Mockito.verify;

import dev.fanout.subscriber.DaprDelivery;
import dev.fanout.subscriber.InMemoryStateStore;
import dev.fanout.subscriber.RunningSubscriber;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.mockito.ArgumentMatcher;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.annotation.Import;
import org.springframework.mail.MailParseException;
import org.springframework.mail.MailSendException;
import org.springframework.mail.MailSender;
import org.springframework.mail.SimpleMailMessage;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.reactive.server.WebTestClient;

/** What daprd is told when the mail sender fails: whether the event is redelivered or dead-lettered. */
@RunningSubscriber
@Import(InMemoryStateStore.Beans.class)
class EmailDeliveryStatusTest {

  @Autowired
  WebTestClient client;

  @Autowired
  InMemoryStateStore stateStore;

  @MockitoBean
  MailSender mailSender;

  @Test
  void dropsTheEventWhenTheMessageCannotBeParsed() {
    willThrow(new MailParseException("bad address")).given(mailSender).send(any(SimpleMailMessage.class));

    // Recorded as dropped and answered RETRY, so that daprd dead-letters it (FollowerAddedSubscription).
    deliver("evt-email-drop")
        .answers("RETRY");

    verify(mailSender).send(argThat(toAlice()));
    assertThat(stateStore.contains("dropped|evt-email-drop")).isTrue();
  }

  @Test
  void answersRetryWhenTheMessageCannotBeSent() {
    willThrow(new MailSendException("SMTP server unreachable"))
        .given(mailSender).send(any(SimpleMailMessage.class));

    deliver("evt-email-retry")
        .answers("RETRY");

    verify(mailSender).send(argThat(toAlice()));
    assertThat(stateStore.contains("dropped|evt-email-retry")).as("tried again, not dropped").isFalse();
  }

  private static ArgumentMatcher<SimpleMailMessage> toAlice() {
    return message -> Arrays.equals(message.getTo(), new String[] {"alice@users.example"});
  }

  private DaprDelivery.Answer deliver(String id) {
    return DaprDelivery.deliver(client, id);
  }
}
