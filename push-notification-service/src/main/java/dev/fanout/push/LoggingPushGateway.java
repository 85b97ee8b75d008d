package dev.fanout.push;

import dev.fanout.subscriber.LoggedEffect;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/** The default when no gateway URL is configured: the notification is written to the log. */
class LoggingPushGateway implements PushGateway {

  private static final Logger log = LoggerFactory.getLogger(LoggingPushGateway.class);

  @Override
  public Mono<Void> send(PushNotification notification) {
    // Sent once the line is out.
    return Mono.<Void>fromRunnable(() -> log.info("push to={} title=\"{}\" body=\"{}\" event={}",
            notification.userId(), notification.title(), notification.body(), notification.eventId()))
        .then(LoggedEffect.written());
  }
}
