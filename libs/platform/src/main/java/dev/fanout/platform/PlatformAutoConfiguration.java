package dev.fanout.platform;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fanout.platform.web.AccessLogFilter;
import dev.fanout.platform.web.DecodingFailureProblems;
import dev.fanout.platform.web.ProblemDetailsExceptionHandler;
import dev.fanout.platform.web.UnparseableMediaTypeGuard;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.autoconfigure.jackson.JacksonAutoConfiguration;
import org.springframework.context.annotation.Bean;

/** Gives every app of the system the same access log and the same error format, without component scanning. */
@AutoConfiguration(after = JacksonAutoConfiguration.class)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.REACTIVE)
public class PlatformAutoConfiguration {

  @Bean
  AccessLogFilter accessLogFilter() {
    return new AccessLogFilter();
  }

  @Bean
  UnparseableMediaTypeGuard unparseableMediaTypeGuard() {
    return new UnparseableMediaTypeGuard();
  }

  @Bean
  ProblemDetailsExceptionHandler problemDetailsExceptionHandler(ObjectMapper mapper) {
    return new ProblemDetailsExceptionHandler(mapper);
  }

  @Bean
  DecodingFailureProblems decodingFailureProblems(ObjectMapper mapper) {
    return new DecodingFailureProblems(mapper);
  }
}
