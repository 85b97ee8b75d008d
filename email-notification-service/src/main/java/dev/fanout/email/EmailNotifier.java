package dev.fanout.email;

import dev.fanout.subscriber.FollowerAddedHandler;
import dev.fanout.subscriber.LoggedEffect;
import dev.fanout.subscriber.PermanentDeliveryFailure;
import dev.fanout.subscriber.ReceivedEvent;
import org.springframework.mail.MailParseException;
import org.springframework.mail.MailPreparationException;
import org.springframework.mail.MailSender;
import org.springframework.mail.SimpleMailMessage;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/** Renders "bob started following you" as an email to the followed user and hands it to the mail sender. */
@Component
class EmailNotifier implements FollowerAddedHandler {

  private final MailSender mailSender;
  private final EmailProperties properties;
  private final Scheduler sendOn;
  private final Mono<Void> sent;

  EmailNotifier(MailSender mailSender, EmailProperties properties) {
    this.mailSender = mailSender;
    this.properties = properties;
    // JavaMail blocks on the SMTP conversation: keep it off the event loop the handler is called on. The log sender
    // only queues a line, as every other line the subscriber logs there; handing it to another thread would cost a
    // thread switch per event, a third of this JVM's CPU while draining a backlog (BENCHMARKS.md, round 15).
    this.sendOn = mailSender instanceof LoggingMailSender ? Schedulers.immediate() : Schedulers.boundedElastic();
    // An email written to the log is sent once its line is out.
    this.sent = mailSender instanceof LoggingMailSender ? LoggedEffect.written() : Mono.empty();
  }

  @Override
  public Mono<Void> handle(ReceivedEvent event) {
    SimpleMailMessage message = render(event);
    return Mono.fromRunnable(() -> mailSender.send(message))
        .subscribeOn(sendOn)
        .onErrorMap(error -> error instanceof MailParseException || error instanceof MailPreparationException,
            error -> new PermanentDeliveryFailure("the message cannot be built: " + error.getMessage(), error))
        .then(sent);
  }

  SimpleMailMessage render(ReceivedEvent event) {
    var message = new SimpleMailMessage();
    message.setFrom(properties.from());
    message.setTo(event.data().userId() + "@" + properties.recipientDomain());
    message.setSubject("You have a new follower");
    message.setText("Hi " + event.data().userId() + ",\n\n" + event.data().describe() + ".\n\n(event " + event.id() + ")\n");
    return message;
  }
}
