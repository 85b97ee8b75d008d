package dev.fanout.push;

import dev.fanout.subscriber.FollowerAddedHandler;
import dev.fanout.subscriber.ReceivedEvent;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/** Renders "bob started following you" as a push notification to the followed user. */
@Component
class PushNotifier implements FollowerAddedHandler {

  private final PushGateway gateway;

  PushNotifier(PushGateway gateway) {
    this.gateway = gateway;
  }

  @Override
  public Mono<Void> handle(ReceivedEvent event) {
    return gateway.send(new PushNotification(
        event.data().userId(), "New follower", event.data().describe(), event.id()));
  }
}
