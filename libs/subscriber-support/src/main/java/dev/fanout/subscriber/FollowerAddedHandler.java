package dev.fanout.subscriber;

import reactor.core.publisher.Mono;

/**
 * What a notification service does with a {@code followerAdded} event: the one part that differs between the
 * subscribers. Complete normally when done; fail with {@link PermanentDeliveryFailure} when trying again cannot
 * help (the event is dropped to the dead-letter topic); fail with anything else to have the event redelivered.
 */
@FunctionalInterface
public interface FollowerAddedHandler {

  Mono<Void> handle(ReceivedEvent event);
}
