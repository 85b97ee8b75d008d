package dev.fanout.email;

import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.mail.MailSender;
import org.springframework.mail.SimpleMailMessage;
import org.springframework.stereotype.Component;

/**
 * The default mail sender: writes the email to the log. Spring Boot's SMTP sender replaces it as soon as
 * {@code spring.mail.host} is set (compose points it at the mail catcher).
 */
@Component
@ConditionalOnExpression("'${spring.mail.host:}'.isBlank()")
class LoggingMailSender implements MailSender {

  private static final Logger log = LoggerFactory.getLogger(LoggingMailSender.class);

  @Override
  public void send(SimpleMailMessage... messages) {
    for (SimpleMailMessage message : messages) {
      log.info("email to={} subject=\"{}\" text=\"{}\"", Arrays.toString(message.getTo()), message.getSubject(),
          message.getText() == null ? "" : message.getText().replace('\n', ' ').strip());
    }
  }
}
