package dev.fanout.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fanout.runner.Pair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The broker keeps what a stopped subscriber missed, with no TTL, and delivers it once the service is back. */
@ExtendWith(E2eStack.class)
class StoppedSubscriberIT {

  @Test
  void eventsPublishedWhileASubscriberIsStoppedAreDeliveredWhenItIsBack() {
    List<Pair> push = E2eStack.stack().pairs(E2eStack.PUSH);
    push.forEach(Pair::stop);
    List<String> eventIds = new ArrayList<>();
    try {
      for (int i = 0; i < 20; i++) {
        var response = Fanout.follow("grace", "heidi" + i);
        assertThat(response.status()).as("the facade does not depend on the subscribers").isEqualTo(202);
        eventIds.add(response.eventId());
      }
      assertThat(Fanout.handled(E2eStack.PUSH, eventIds)).as("nothing handled while stopped").isEmpty();
    } finally {
      push.forEach(Pair::start);
      push.forEach(E2eStack.stack()::awaitReady);
    }

    Fanout.awaitHandledByAll(eventIds, Duration.ofSeconds(60));
    FanOutIT.awaitNothingPending();
    assertThat(Fanout.handled(E2eStack.PUSH, eventIds)).hasSize(eventIds.size())
        .allSatisfy((id, count) -> assertThat(count).isEqualTo(1L));
  }
}
