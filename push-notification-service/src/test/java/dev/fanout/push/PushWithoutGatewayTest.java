package dev.fanout.push;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fanout.subscriber.DaprDelivery;
import dev.fanout.subscriber.InMemoryStateStore;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Import;
import org.springframework.http.MediaType;
import org.springframework.test.json.JsonCompareMode;
import org.springframework.test.web.reactive.server.WebTestClient;

/** Without fanout.push.gateway-url (the default), notifications are written to the log and acknowledged. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@Import(InMemoryStateStore.Beans.class)
@ExtendWith(OutputCaptureExtension.class)
class PushWithoutGatewayTest {

  @Autowired
  WebTestClient client;

  @BeforeEach
  void allowForABusyMachine() {
    client = DaprDelivery.patient(client);
  }

  @Autowired
  PushGateway pushGateway;

  @Test
  void logsTheNotificationAndAnswersSuccess(CapturedOutput output) {
    assertThat(pushGateway).isInstanceOf(LoggingPushGateway.class);

    client.post().uri("/followerAdded")
        .contentType(MediaType.parseMediaType("application/cloudevents+json"))
        .bodyValue("""
            {"id": "evt-push-log", "source": "api-facade", "type": "dev.fanout.followerAdded.v1",
             "specversion": "1.0", "datacontenttype": "application/json",
             "data": {"userId": "alice", "followerId": "bob", "followedAt": "2025-01-02T03:04:05Z"}}""")
        .exchange()
        .expectStatus().isOk()
        .expectBody().json("{\"status\":\"SUCCESS\"}", JsonCompareMode.STRICT);

    assertThat(output.getOut()).containsOnlyOnce(
        "push to=alice title=\"New follower\" body=\"bob started following you\" event=evt-push-log");
  }
}
