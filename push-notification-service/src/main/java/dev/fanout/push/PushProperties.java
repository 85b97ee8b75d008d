package dev.fanout.push;

import java.net.URI;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * @param gatewayUrl where notifications are POSTed; unset: they are written to the log
 * @param timeout a whole gateway call, connect to last byte; past it the event is redelivered
 */
@ConfigurationProperties("fanout.push")
record PushProperties(URI gatewayUrl, @DefaultValue("2s") Duration timeout) {
}
