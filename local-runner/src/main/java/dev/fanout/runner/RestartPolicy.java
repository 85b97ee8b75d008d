package dev.fanout.runner;

import java.time.Duration;

/**
 * Compose's {@code restart: unless-stopped}, with a brake: a process that exits unasked is restarted after a
 * backoff that doubles from {@code initialBackoff} up to {@code maxBackoff}; after {@code maxRestarts} restarts
 * without ever staying up for {@code stableAfter}, it is left down, with a log line, rather than restarted forever.
 */
record RestartPolicy(Duration initialBackoff, Duration maxBackoff, int maxRestarts, Duration stableAfter) {

  static final RestartPolicy DEFAULT =
      new RestartPolicy(Duration.ofSeconds(1), Duration.ofSeconds(30), 5, Duration.ofSeconds(60));

  /** The wait before restart number {@code attempt} (1-based). */
  Duration backoff(int attempt) {
    long millis = initialBackoff.toMillis() << Math.min(attempt - 1, 20);
    return Duration.ofMillis(Math.min(millis, maxBackoff.toMillis()));
  }
}
