package dev.fanout.platform.event;

import java.time.Instant;

/**
 * The {@code followerAdded} event: {@code followerId} started following {@code userId}.
 * This record is the contract between the facade (which publishes it as CloudEvent data) and the subscribers.
 */
public record FollowerAdded(String userId, String followerId, Instant followedAt) {

  /** The Dapr pub/sub component every app uses (components/pubsub.yaml). */
  public static final String PUBSUB = "pubsub";

  /** The topic; also the subscribers' route, {@code POST /followerAdded}. */
  public static final String TOPIC = "followerAdded";

  /** CloudEvent {@code type} of this event, versioned so that consumers can tell a future shape apart. */
  public static final String CLOUD_EVENT_TYPE = "dev.fanout.followerAdded.v1";

  /** The sentence both notifications carry. */
  public String describe() {
    return followerId + " started following you";
  }
}
