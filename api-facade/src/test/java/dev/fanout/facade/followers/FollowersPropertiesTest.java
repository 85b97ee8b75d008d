package dev.fanout.facade.followers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.springframework.util.unit.DataSize;

class FollowersPropertiesTest {

  @Test
  void refusesANegativeRetryAfter() {
    // It goes out as the 503's Retry-After header, where "-1" is no valid delay.
    assertThatThrownBy(() -> new FollowersProperties(DataSize.ofKilobytes(16), -1, 100, 2, 1000))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("fanout.followers.retry-after-seconds must be 0 or more, not -1");
  }

  @Test
  void takesARetryAfterOfZero() {
    assertThat(new FollowersProperties(DataSize.ofKilobytes(16), 0, 100, 2, 1000).retryAfterSeconds()).isZero();
  }
}
