package dev.fanout.push;

import dev.fanout.subscriber.DaprSubscriptions;
import dev.fanout.subscriber.RunningSubscriber;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.web.reactive.server.WebTestClient;

/** The service exactly as configured, started alone: on a real port, with no daprd next to it. */
@RunningSubscriber
class PushNotificationApplicationTest {

  @Autowired
  WebTestClient client;

  @Test
  void startsAloneAndAnnouncesTheFollowerAddedSubscription() {
    DaprSubscriptions.assertAnnouncesFollowerAdded(client, "push-notification-service");
  }
}
