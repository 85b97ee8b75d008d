package dev.fanout.subscriber;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fanout.platform.sidecar.DaprSidecarProperties;
import dev.fanout.platform.sidecar.SidecarAutoConfiguration;
import io.dapr.v1.DaprGrpc;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * The subscription plumbing both notification services share; each service contributes only its
 * {@link FollowerAddedHandler}. dapr-sdk-springboot's own auto-configuration adds {@code /dapr/config} and
 * {@code /dapr/subscribe}.
 */
@AutoConfiguration(after = SidecarAutoConfiguration.class)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.REACTIVE)
@EnableConfigurationProperties(SubscriptionProperties.class)
public class SubscriberAutoConfiguration {

  @Bean
  SubscriptionMetrics subscriptionMetrics(ObjectProvider<MeterRegistry> registry) {
    // Slice tests have no meter registry; the counts still work, they are just not exported.
    return new SubscriptionMetrics(registry.getIfAvailable(SimpleMeterRegistry::new));
  }

  @Bean
  IdempotencyStore idempotencyStore(DaprGrpc.DaprStub dapr, SubscriptionProperties properties) {
    return new IdempotencyStore(new SidecarState(IdempotencyStore.STORE, dapr), Clock.systemUTC(),
        properties.claimTtl(), properties.doneTtl(), properties.deadLetterTtl());
  }

  @Bean
  @ConditionalOnMissingBean // a test's, on a clock it moves
  FanOutLatency fanOutLatency() {
    return new FanOutLatency(Clock.systemUTC());
  }

  @Bean
  ClaimKeeper claimKeeper(IdempotencyStore idempotency, SubscriptionProperties properties) {
    return new ClaimKeeper(idempotency, properties.claimRenewal());
  }

  @Bean
  EventDelivery eventDelivery(FollowerAddedHandler handler, IdempotencyStore idempotency, SubscriptionMetrics metrics,
      FanOutLatency latency, ClaimKeeper claims) {
    return new EventDelivery(handler, idempotency, metrics, latency, claims);
  }

  @Bean
  FollowerAddedSubscription followerAddedSubscription(EventDelivery delivery, SubscriptionMetrics metrics,
      FanOutLatency latency, ObjectMapper json) {
    return new FollowerAddedSubscription(delivery, metrics, latency, json);
  }

  @Bean
  DeadLetterSubscription deadLetterSubscription(EventDelivery delivery, IdempotencyStore idempotency,
      SubscriptionMetrics metrics) {
    return new DeadLetterSubscription(delivery, idempotency, metrics);
  }

  @Bean
  AppApiTokenFilter appApiTokenFilter(DaprSidecarProperties sidecar) {
    if (!sidecar.hasAppApiToken()) {
      LoggerFactory.getLogger(SubscriberAutoConfiguration.class).warn("APP_API_TOKEN is not set: anyone who can"
          + " reach this port can post events to it. Set it (and give daprd the same) outside of tests.");
      return null;
    }
    return new AppApiTokenFilter(sidecar.appApiToken());
  }
}
