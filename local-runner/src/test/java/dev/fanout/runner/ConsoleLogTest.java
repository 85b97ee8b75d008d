package dev.fanout.runner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** What reaches the terminal, and when: a line with nothing behind it at once, a run of lines together. */
class ConsoleLogTest {

  /** Longer than any test: only what the test does writes. */
  private static final Duration LONG = Duration.ofHours(1);

  private final ByteArrayOutputStream terminal = new ByteArrayOutputStream();

  private String written() {
    return terminal.toString(StandardCharsets.UTF_8);
  }

  @Test
  void aLineWithNothingBehindItIsWrittenAtOnceAlignedUnderItsSource() {
    var console = new ConsoleLog(terminal, false, 8, LONG);

    console.line("redis", "Ready to accept connections");

    assertThat(written()).isEqualTo("redis    | Ready to accept connections\n");
  }

  @Test
  void linesWithMoreBehindThemWaitForTheLastAndThenGoOutTogetherInOrder() {
    var console = new ConsoleLog(terminal, false, 8, LONG);

    console.lineFollowedByMore("email-1", "first");
    console.lineFollowedByMore("email-1", "second");
    assertThat(written()).isEmpty();

    console.line("email-1", "third");
    assertThat(written()).isEqualTo("email-1  | first\nemail-1  | second\nemail-1  | third\n");
  }

  @Test
  void aHeldLineGoesOutWithinItsBoundThoughNothingComesAfterIt() {
    var console = new ConsoleLog(terminal, false, 8, Duration.ofMillis(50));

    console.lineFollowedByMore("email-1", "half of the next line never came");

    await().atMost(Duration.ofSeconds(5)).until(() -> !written().isEmpty());
    assertThat(written()).isEqualTo("email-1  | half of the next line never came\n");
  }

  @Test
  void anotherSourcesLineTakesTheHeldLinesOutWithIt() {
    var console = new ConsoleLog(terminal, false, 8, LONG);

    console.lineFollowedByMore("email-1", "held");
    console.line("runner", "stopping everything");

    assertThat(written()).isEqualTo("email-1  | held\nrunner   | stopping everything\n");
  }

  @Test
  void onATerminalEachSourceKeepsItsOwnColour() {
    var console = new ConsoleLog(terminal, true, 6, LONG);

    console.line("redis", "a");
    console.line("push", "b");
    console.line("redis", "c");

    assertThat(written()).isEqualTo("\u001b[36mredis  |\u001b[0m a\n"
        + "\u001b[33mpush   |\u001b[0m b\n"
        + "\u001b[36mredis  |\u001b[0m c\n");
  }
}
