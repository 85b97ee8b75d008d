package dev.fanout.email;

import dev.fanout.subscriber.DaprDelivery;
import dev.fanout.subscriber.DaprSubscriptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.web.reactive.server.WebTestClient;

/** The service exactly as configured, started alone: on a real port, with no daprd next to it. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class EmailNotificationApplicationTest {

  @Autowired
  WebTestClient client;

  @BeforeEach
  void allowForABusyMachine() {
    client = DaprDelivery.patient(client);
  }

  @Test
  void startsAloneAndAnnouncesTheFollowerAddedSubscription() {
    DaprSubscriptions.assertAnnouncesFollowerAdded(client, "email-notification-service");
  }
}
