package dev.fanout.subscriber;

/** Handling this event can never succeed (for example, the push gateway rejected it with a 4xx): DROP it. */
public class PermanentDeliveryFailure extends RuntimeException {

  public PermanentDeliveryFailure(String reason) {
    super(reason);
  }

  public PermanentDeliveryFailure(String reason, Throwable cause) {
    super(reason, cause);
  }
}
