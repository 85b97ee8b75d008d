package dev.fanout.subscriber;

/**
 * The body daprd expects back from a topic route. SUCCESS: done, acknowledge. RETRY: redeliver (per
 * components/resiliency.yaml). DROP: never redeliver; daprd moves the event to the dead-letter topic.
 * A bare 400 would instead be retried forever, hence DROP for malformed events.
 */
public record DeliveryStatus(Status status) {

  public enum Status { SUCCESS, RETRY, DROP }

  static final DeliveryStatus SUCCESS = new DeliveryStatus(Status.SUCCESS);
  static final DeliveryStatus RETRY = new DeliveryStatus(Status.RETRY);
  static final DeliveryStatus DROP = new DeliveryStatus(Status.DROP);
}
