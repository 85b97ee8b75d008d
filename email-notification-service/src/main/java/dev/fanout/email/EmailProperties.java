package dev.fanout.email;

import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Checked when bound, so that a typo stops the service at start-up: found only when sending, it would make every
 * email fail to build, and each would be given up on (dead-lettered) as if its recipient were wrong.
 *
 * @param from sender address of every notification
 * @param recipientDomain there is no user directory in this system: user {@code alice} is {@code alice@<domain>}
 */
@ConfigurationProperties("fanout.email")
record EmailProperties(
    @DefaultValue("notifications@followers.example") String from,
    @DefaultValue("users.example") String recipientDomain) {

  EmailProperties {
    requireAddress("fanout.email.from", from);
    requireAddress("fanout.email.recipient-domain", "user@" + recipientDomain);
  }

  private static void requireAddress(String property, String address) {
    try {
      new InternetAddress(address, true).validate();
    } catch (AddressException e) {
      throw new IllegalArgumentException(property + " makes no email address (" + address + "): " + e.getMessage(),
          e);
    }
  }
}
