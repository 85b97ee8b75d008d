package dev.fanout.facade.followers;

/** daprd or the broker did not confirm the publish: the event may not be stored, so we must not answer 202. */
class PublishFailedException extends RuntimeException {

  PublishFailedException(Throwable cause) {
    super("publish not confirmed by the sidecar", cause);
  }
}
