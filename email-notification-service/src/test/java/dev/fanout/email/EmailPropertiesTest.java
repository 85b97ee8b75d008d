package dev.fanout.email;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** A sender or domain that makes no address stops the service when it starts, not each email when it is sent. */
class EmailPropertiesTest {

  @Test
  void refusesASenderThatIsNoAddress() {
    assertThatThrownBy(() -> new EmailProperties("notifications at followers.example", "users.example"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("fanout.email.from makes no email address (notifications at followers.example)");
  }

  @Test
  void refusesARecipientDomainThatMakesNoAddress() {
    assertThatThrownBy(() -> new EmailProperties("notifications@followers.example", "users example"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("fanout.email.recipient-domain makes no email address (user@users example)");
  }

  @Test
  void takesTheDefaults() {
    var properties = new EmailProperties("notifications@followers.example", "users.example");

    assertThat(properties.from()).isEqualTo("notifications@followers.example");
  }
}
