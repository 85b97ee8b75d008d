package dev.fanout.platform.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.web.ErrorResponseException;
import org.springframework.web.server.UnsupportedMediaTypeStatusException;
import reactor.netty.Connection;
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

    assertThat(exchange.getResponse().getStatusCode()).as("no 500 for the access line and the metrics")
        .isEqualTo(HttpStatusCode.valueOf(499));
    assertThat(exchange.getResponse().getHeaders().getContentType()).isNull();
  }

  @Test
  void answersAnErrorThatCarriesItsStatusWhateverItsMessageSaysAboutConnections() {
    var exchange = MockServerWebExchange.from(MockServerHttpRequest.post("/followers"));
    // A publish that failed because daprd lost its connection to Redis, quoted in the cause.
    var unavailable = new ErrorResponseException(HttpStatus.SERVICE_UNAVAILABLE,
        ProblemDetail.forStatus(HttpStatus.SERVICE_UNAVAILABLE), new IOException("read: connection reset by peer"));
    unavailable.getHeaders().set("Retry-After", "2");

    StepVerifier.create(handler.handle(exchange, unavailable)).verifyComplete();

    assertThat(exchange.getResponse().getStatusCode()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
    assertThat(exchange.getResponse().getHeaders().getContentType()).isEqualTo(MediaType.APPLICATION_PROBLEM_JSON);
    assertThat(exchange.getResponse().getHeaders().getFirst("Retry-After")).isEqualTo("2");
  }

  @Test
  void answersAClientMistakeThatQuotesItsOwnWordsAboutConnections() {
    var exchange = MockServerWebExchange.from(MockServerHttpRequest.post("/followers"));

    StepVerifier.create(handler.handle(exchange, new UnsupportedMediaTypeStatusException(
        "Content-Encoding broken pipe is not supported"))).verifyComplete();

    assertThat(exchange.getResponse().getStatusCode()).isEqualTo(HttpStatus.UNSUPPORTED_MEDIA_TYPE);
  }

  @Test
  void takesAClientForGoneOnlyWhenItsConnectionIsClosed() {
    var connection = Connection.from(new EmbeddedChannel());
    var reset = new IllegalStateException("the push gateway", new IOException("Connection reset by peer"));

    assertThat(ProblemDetailsExceptionHandler.clientGone(reset, connection)).as("open: the app's own error").isFalse();
    assertThat(ProblemDetailsExceptionHandler.clientGone(new IOException("recvAddress(..) failed: Connection reset by"
        + " peer"), connection)).as("the client's socket itself, before the connection is marked closed").isTrue();
    connection.channel().close();
    assertThat(ProblemDetailsExceptionHandler.clientGone(reset, connection)).as("closed").isTrue();
    assertThat(ProblemDetailsExceptionHandler.clientGone(new IllegalStateException("a bug"), connection))
        .as("closed, but an error that is not about it").isFalse();
  }
}
