package dev.fanout.platform.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import reactor.netty.channel.AbortedException;
import reactor.test.StepVerifier;

class ProblemDetailsExceptionHandlerTest {

  private final ProblemDetailsExceptionHandler handler = new ProblemDetailsExceptionHandler(new ObjectMapper());

  @Test
  void answersAnUnexpectedErrorWithA500Problem() {
    var exchange = MockServerWebExchange.from(MockServerHttpRequest.post("/followers"));

    StepVerifier.create(handler.handle(exchange, new IllegalStateException("a bug"))).verifyComplete();

    assertThat(exchange.getResponse().getStatusCode()).isEqualTo(HttpStatus.INTERNAL_SERVER_ERROR);
    assertThat(exchange.getResponse().getHeaders().getContentType()).isEqualTo(MediaType.APPLICATION_PROBLEM_JSON);
  }

  @Test
  void takesAClientThatClosedItsConnectionMidRequestForNoErrorOfTheApp() {
    var exchange = MockServerWebExchange.from(MockServerHttpRequest.post("/followers"));

    // What Reactor Netty signals when the connection closes while the body is still being read.
    StepVerifier.create(handler.handle(exchange, new AbortedException("Connection has been closed")))
        .verifyComplete();

    assertThat(exchange.getResponse().getStatusCode()).as("no 500 for the access line and the metrics").isNull();
    assertThat(exchange.getResponse().getHeaders().getContentType()).isNull();
  }
}
