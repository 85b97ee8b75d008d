package dev.fanout.subscriber;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.time.Duration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.reactive.server.WebTestClientBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;

/**
 * A notification service started whole, on a random port, called over real HTTP as its daprd would call it. The
 * injected {@code WebTestClient} waits up to 30 s for an answer: the first answers of a freshly started context
 * can take longer than the default 5 s on a busy host.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@Import(RunningSubscriber.PatientClient.class)
public @interface RunningSubscriber {

  @TestConfiguration(proxyBeanMethods = false)
  class PatientClient {

    @Bean
    WebTestClientBuilderCustomizer patientWebTestClient() {
      return builder -> builder.responseTimeout(Duration.ofSeconds(30));
    }
  }
}
