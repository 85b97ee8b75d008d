package dev.fanout.push;

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
import org.springframework.test.web.reactive.server.WebTestClient;

/** Without fanout.push.gateway-url (the default), notifications are written to the log and acknowledged. */
@RunningSubscriber
@Import(InMemoryStateStore.Beans.class)
@ExtendWith(OutputCaptureExtension.class)
class PushWithoutGatewayTest {

  @Autowired
  WebTestClient client;

  @Autowired
  PushGateway pushGateway;

  @Test
  void logsTheNotificationAndAnswersSuccess(CapturedOutput output) {
    assertThat(pushGateway).isInstanceOf(LoggingPushGateway.class);

    DaprDelivery.deliver(client, "evt-push-log").answers("SUCCESS");

    // Log lines are written by the log's own thread, shortly after they are logged.
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(output.getOut()).containsOnlyOnce(
        "push to=alice title=\"New follower\" body=\"bob started following you\" event=evt-push-log"));
  }
}
