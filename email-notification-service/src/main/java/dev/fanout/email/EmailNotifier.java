package dev.fanout.email;

import dev.fanout.subscriber.FollowerAddedHandler;
import dev.fanout.subscriber.LoggedEffect;
import dev.fanout.subscriber.PermanentDeliveryFailure;
import dev.fanout.subscriber.ReceivedEvent;
import jakarta.mail.MessagingException;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.eclipse.angus.mail.smtp.SMTPAddressFailedException;
import org.springframework.mail.MailParseException;
import org.springframework.mail.MailPreparationException;
import org.springframework.mail.MailSendException;
import org.springframework.mail.MailSender;
import org.springframework.mail.SimpleMailMessage;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/** Renders "bob started following you" as an email to the followed user and hands it to the mail sender. */
@Component
class EmailNotifier implements FollowerAddedHandler {

  /**
   * An SMTP reply whose enhanced status says the recipient's address is wrong (RFC 3463, RFC 7505): no such mailbox
   * (5.1.1), no such system (5.1.2), bad syntax (5.1.3), ambiguous (5.1.4), moved (5.1.6), a domain that takes no
   * mail (5.1.10). Not the other 5.1.x: 5.1.7 and 5.1.8 are the sender's address, this service's own setting, and
   * 5.1.0 does not say whose.
   */
  private static final Pattern RECIPIENT_STATUS = Pattern.compile("^\\d{3}[ -]5\\.1\\.(1|2|3|4|6|10)\\b");

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
        // The sender and the domain are checked at start-up (EmailProperties): what fails to parse is the user's id.
        .onErrorMap(error -> error instanceof MailParseException || error instanceof MailPreparationException,
            error -> new PermanentDeliveryFailure("the message cannot be built: " + error.getMessage(), error))
        .onErrorMap(MailSendException.class, failure -> recipientRefusedForGood(failure)
            .<Throwable>map(refusal -> new PermanentDeliveryFailure(
                "the SMTP server refused the recipient for good: " + refusal.getMessage(), failure))
            .orElse(failure))
        .then(sent);
  }

  /**
   * The server's refusal of the recipient, when it says the address itself is wrong: a 5xx reply to RCPT with a
   * recipient's addressing status (no such user, bad syntax), which no retry can change. Any other refusal is
   * retried: a policy's (5.7.x, relaying denied) or the sender's (5.1.8, which Postfix answers at RCPT) is the
   * server's configuration or ours, and a bare 5xx does not say.
   * Retrying a recipient that does not exist would hold a delivery slot and knock on the server until the dead-letter
   * route's retries end, which they do only on success.
   */
  private static Optional<SMTPAddressFailedException> recipientRefusedForGood(MailSendException failure) {
    return failure.getFailedMessages().values().stream()
        .flatMap(EmailNotifier::chain)
        .filter(SMTPAddressFailedException.class::isInstance).map(SMTPAddressFailedException.class::cast)
        .filter(refusal -> refusal.getReturnCode() / 100 == 5 && refusal.getMessage() != null
            && RECIPIENT_STATUS.matcher(refusal.getMessage()).find())
        .findFirst();
  }

  /** JavaMail reports each refused address as the next exception of the one before. */
  private static Stream<Exception> chain(Exception first) {
    return Stream.iterate(first, Objects::nonNull,
        exception -> exception instanceof MessagingException messaging ? messaging.getNextException() : null);
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
