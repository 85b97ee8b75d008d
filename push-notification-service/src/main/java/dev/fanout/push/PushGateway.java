package dev.fanout.push;

import reactor.core.publisher.Mono;

/** Delivers a push notification to the user's devices. */
interface PushGateway {

  Mono<Void> send(PushNotification notification);
}
