package dev.fanout.subscriber;

import dev.fanout.platform.event.FollowerAdded;

/** A {@code followerAdded} event as delivered by daprd: its CloudEvent id, its trace id, and its data. */
public record ReceivedEvent(String id, String traceId, FollowerAdded data) {
}
