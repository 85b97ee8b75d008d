package dev.fanout.subscriber;

import reactor.core.publisher.Mono;

/**
 * What a notification service does with a {@code followerAdded} event: the one part that differs between the
 * subscribers. Complete normally when done; fail with {@link PermanentDeliveryFailure} when trying again cannot
 * help (the event is dropped to the dead-letter topic); fail with anything else to have the event redelivered.
 *
 * <p>It is called, and its Mono subscribed, on an event loop (gRPC's, where the claim's answer arrives), which every
 * delivery shares: work that blocks (SMTP, a blocking client) must move off it, as {@code EmailNotifier} does with
 * {@code subscribeOn(Schedulers.boundedElastic())} for an SMTP server; work that does not is cheapest left on it.
 */
@FunctionalInterface
public interface FollowerAddedHandler {

  Mono<Void> handle(ReceivedEvent event);
}
