package dev.fanout.facade.followers;

/**
 * daprd or the broker did not confirm the publish, or the facade turned the event away: the event may not be
 * stored, so we must not answer 202. An expected outcome, not a bug, hence no stack trace: an overload turns
 * thousands of follows away a second, and taking each one's trace (then reading it, as Reactor's checkpoint in
 * Spring's error handling does) took a seventh of the facade's event loops (BENCHMARKS.md, round 24).
 */
class PublishFailedException extends RuntimeException {

  private final boolean turnedAway;

  PublishFailedException(Throwable cause) {
    super("publish not confirmed by the sidecar: " + cause, cause, false, false);
    this.turnedAway = false;
  }

  PublishFailedException(String reason) {
    this(reason, false);
  }

  private PublishFailedException(String reason, boolean turnedAway) {
    super(reason, null, false, false);
    this.turnedAway = turnedAway;
  }

  /** Not sent at all: too many events already wait for the sidecar. */
  static PublishFailedException turnedAway(int waiting) {
    return new PublishFailedException(waiting + " events already wait for the sidecar", true);
  }

  /** Whether the event was turned away before any call: reported in summary, not event by event. */
  boolean turnedAway() {
    return turnedAway;
  }
}
