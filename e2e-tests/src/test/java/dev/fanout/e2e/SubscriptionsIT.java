package dev.fanout.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.fanout.runner.Pair;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** What daprd really registered (its metadata API) is what each app announces, for every replica. */
@ExtendWith(E2eStack.class)
class SubscriptionsIT {

  @Test
  void everySidecarRegisteredExactlyTheSubscriptionsItsAppAnnounces() {
    for (String subscriber : Fanout.SUBSCRIBERS) {
      for (Pair pair : E2eStack.stack().pairs(subscriber)) {
        // A replica FaultsIT restarted may take a moment to answer again: ask until it does.
        var announced = await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
            .until(() -> E2eStack.stack().announcedSubscriptions(pair), set -> !set.isEmpty());
        assertThat(announced).as(pair.name() + " announces").contains("pubsub/followerAdded -> /followerAdded")
            .contains("pubsub/followerAdded-dead-letter-" + subscriber + " -> /followerAdded/dead-letter");
        assertThat(E2eStack.stack().registeredSubscriptions(pair)).as(pair.name() + " registered")
            .isEqualTo(announced);
      }
    }
  }

  @Test
  void theFacadeSubscribesToNothing() {
    Pair facade = E2eStack.stack().pair(E2eStack.FACADE);
    // Read from daprd's answer: a call that fails throws rather than reading as none.
    assertThat(E2eStack.stack().registeredSubscriptions(facade)).isEmpty();
  }
}
