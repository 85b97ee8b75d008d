package dev.fanout.email;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * @param from sender address of every notification
 * @param recipientDomain there is no user directory in this system: user {@code alice} is {@code alice@<domain>}
 */
@ConfigurationProperties("fanout.email")
record EmailProperties(
    @DefaultValue("notifications@followers.example") String from,
    @DefaultValue("users.example") String recipientDomain) {
}
