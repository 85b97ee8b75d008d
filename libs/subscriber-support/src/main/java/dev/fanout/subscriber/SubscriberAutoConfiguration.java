package dev.fanout.subscriber;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.context.annotation.Bean;

/**
 * The subscription plumbing both notification services share; each service contributes only its
 * {@link FollowerAddedHandler}. dapr-sdk-springboot's own auto-configuration adds {@code /dapr/config} and
 * {@code /dapr/subscribe}.
 */
@AutoConfiguration
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.REACTIVE)
public class SubscriberAutoConfiguration {

  @Bean
  FollowerAddedSubscription followerAddedSubscription(FollowerAddedHandler handler,
      ObjectProvider<MeterRegistry> registry) {
    return new FollowerAddedSubscription(handler, registry.getIfAvailable(SimpleMeterRegistry::new));
  }

  @Bean
  DeadLetterSubscription deadLetterSubscription(ObjectProvider<MeterRegistry> registry) {
    // Slice tests have no meter registry; the counts still work, they are just not exported.
    return new DeadLetterSubscription(registry.getIfAvailable(SimpleMeterRegistry::new));
  }
}
