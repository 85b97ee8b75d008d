package dev.fanout.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fanout.runner.Pair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Replicas of one app-id share one consumer group: each event goes to exactly one replica, and the work is
 * spread over all of them (while the other app-id still gets every event).
 */
@ExtendWith(E2eStack.class)
class CompetingConsumersIT {

  @Test
  void eachEventIsHandledByExactlyOneReplicaAndEveryReplicaHandlesSome() {
    List<Pair> replicas = E2eStack.stack().pairs(E2eStack.EMAIL);
    assertThat(replicas).hasSize(E2eStack.EMAIL_REPLICAS);
    List<String> eventIds = new ArrayList<>();
    for (int i = 0; i < 90; i++) {
      var response = Fanout.follow("erin", "frank" + i);
      assertThat(response.status()).isEqualTo(202);
      eventIds.add(response.eventId());
    }

    Fanout.awaitHandledByAll(eventIds, Duration.ofSeconds(60));
    FanOutIT.awaitNothingPending();

    assertThat(Fanout.handled(E2eStack.EMAIL, eventIds).values()).allMatch(count -> count == 1);
    Set<String> wanted = Set.copyOf(eventIds);
    for (Pair replica : replicas) {
      long handledHere = E2eStack.logs().of(replica.name(), line -> true).stream()
          .map(line -> Fanout.EMAIL_SENT.matcher(line.text()))
          .filter(Matcher::find)
          .filter(m -> wanted.contains(m.group(1)))
          .count();
      System.out.printf("e2e: %s handled %d of %d events%n", replica.name(), handledHere, eventIds.size());
      assertThat(handledHere).as(replica.name() + " handled some of the events").isPositive();
    }
    assertThat(Fanout.handled(E2eStack.PUSH, eventIds)).as("the other app-id still gets every event")
        .hasSize(eventIds.size()).allSatisfy((id, count) -> assertThat(count).isEqualTo(1L));
  }
}
