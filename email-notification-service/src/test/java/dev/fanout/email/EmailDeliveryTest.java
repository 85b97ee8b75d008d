package dev.fanout.email;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.fanout.subscriber.DaprDelivery;
import dev.fanout.subscriber.InMemoryStateStore;
import dev.fanout.subscriber.RunningSubscriber;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Import;
import org.springframework.mail.MailSender;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * An event posted to the running service as daprd would, through to the email: without SMTP configured, the
 * email is written to the log.
 */
@RunningSubscriber
@Import(InMemoryStateStore.Beans.class)
@ExtendWith(OutputCaptureExtension.class)
class EmailDeliveryTest {

  @Autowired
  WebTestClient client;

  @Autowired
  MailSender mailSender;

  @Test
  void logsTheEmailAndAnswersSuccessWhenNoSmtpHostIsConfigured(CapturedOutput output) {
    assertThat(mailSender).isInstanceOf(LoggingMailSender.class);

    deliver("evt-email-1").answers("SUCCESS");

    // Log lines are written by the log's own thread, shortly after they are logged.
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(output.getOut()).containsOnlyOnce(
        "email to=[alice@users.example] subject=\"You have a new follower\" text=\"Hi alice,  bob started following"
            + " you.  (event evt-email-1)\""));
  }

  @Test
  void emailsOnceForAnEventDeliveredTwice(CapturedOutput output) {
    deliver("evt-email-2").answers("SUCCESS");
    deliver("evt-email-2").answers("SUCCESS");

    // A second email would be logged before the second delivery's access line, which closes each request.
    await().atMost(Duration.ofSeconds(5)).until(() -> output.getOut().lines()
        .filter(line -> line.contains("access") && line.contains("POST /followerAdded")).count() == 2);
    assertThat(output.getOut()).containsOnlyOnce("(event evt-email-2)");
  }

  private DaprDelivery.Answer deliver(String id) {
    return DaprDelivery.deliver(client, id);
  }
}
