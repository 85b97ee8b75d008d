package dev.fanout.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.fanout.runner.Pair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The broker keeps what a stopped subscriber missed, with no TTL and whatever the stream trimmer does meanwhile, and
 * delivers it once the service is back; then the trimmer removes it.
 */
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
      // Email has handled and acknowledged them all; push has read none. A trim must keep every one for push.
      await().atMost(Duration.ofSeconds(60)).until(() -> Fanout.handled(E2eStack.EMAIL, eventIds).size() == 20);
      await().atMost(Duration.ofSeconds(30)).until(() -> Fanout.drained(E2eStack.EMAIL));
      E2eStack.stack().trimStreamsOnce();
      assertThat(streamEntriesOf(eventIds)).as("kept for the stopped subscriber").hasSize(20);
    } finally {
      push.forEach(Pair::start);
      push.forEach(E2eStack.stack()::awaitReady);
    }

    Fanout.awaitHandledByAll(eventIds, Duration.ofSeconds(60));
    FanOutIT.awaitNothingPending();
    assertThat(Fanout.handled(E2eStack.PUSH, eventIds)).hasSize(eventIds.size())
        .allSatisfy((id, count) -> assertThat(count).isEqualTo(1L));

    assertThat(E2eStack.stack().trimStreamsOnce()).contains("followerAdded: ");
    assertThat(streamEntriesOf(eventIds)).as("trimmed once both subscribers acknowledged them").isEmpty();
  }

  /** The events' entries still in the topic's stream. */
  private static List<String> streamEntriesOf(List<String> eventIds) {
    String entries = E2eStack.stack().redisCli("XRANGE", "followerAdded", "-", "+");
    return eventIds.stream().filter(entries::contains).toList();
  }
}
