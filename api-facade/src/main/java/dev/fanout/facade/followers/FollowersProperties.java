package dev.fanout.facade.followers;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * @param maxBodySize largest accepted {@code POST /followers} body; a valid one is well under 200 bytes
 * @param retryAfterSeconds what a 503 tells the client to wait before trying again
 */
@ConfigurationProperties("fanout.followers")
record FollowersProperties(
    @DefaultValue("16KB") DataSize maxBodySize,
    @DefaultValue("2") int retryAfterSeconds) {
}
