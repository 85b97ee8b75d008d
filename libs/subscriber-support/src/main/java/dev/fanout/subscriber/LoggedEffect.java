package dev.fanout.subscriber;

import dev.fanout.platform.logging.BatchingConsoleAppender;
import reactor.core.publisher.Mono;

/**
 * For a handler whose effect is a log line (both subscribers' defaults: the email or the push written to the log):
 * the effect has happened once its line is on standard output, not once it is queued for the console writer. Were
 * the event recorded as handled before that, a kill in between would lose the effect for good, its redelivered copy
 * being taken for a duplicate.
 */
public final class LoggedEffect {

  private LoggedEffect() {
  }

  /**
   * Completes once every line this thread logged before subscribing is written; subscribe to it on the thread that
   * logged the effect. It wakes the console writer rather than waiting for its tick: daprd has one delivery in
   * flight per subscription, so the events behind this one wait too (BENCHMARKS.md, round 21).
   */
  public static Mono<Void> written() {
    return Mono.fromFuture(BatchingConsoleAppender::whenWritten);
  }
}
