package dev.fanout.platform.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.web.ErrorResponse;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebExceptionHandler;
import org.springframework.web.util.DisconnectedClientHelper;
import reactor.core.publisher.Mono;

/**
 * Renders every error of the app as RFC 9457 problem details ({@code application/problem+json}): the errors
 * of our own handlers, and those Spring raises before any handler runs (404, 405, 415). It runs ahead of
 * Spring Boot's default handler, which would answer with its own JSON shape instead.
 *
 * <p>Each problem carries the request's trace id, so that a client's bug report leads straight to the logs.
 */
public class ProblemDetailsExceptionHandler implements WebExceptionHandler, Ordered {

  private static final Logger log = LoggerFactory.getLogger(ProblemDetailsExceptionHandler.class);

  /** What Reactor Netty signals when a request's body outlasts the server's request timeout (not a public class). */
  static final String REQUEST_TIMED_OUT = "reactor.netty.http.server.RequestTimeoutException";

  private final ObjectMapper mapper;

  public ProblemDetailsExceptionHandler(ObjectMapper mapper) {
    this.mapper = mapper;
  }

  @Override
  public Mono<Void> handle(ServerWebExchange exchange, Throwable error) {
    var response = exchange.getResponse();
    if (response.isCommitted()) {
      return Mono.error(error);
    }
    if (DisconnectedClientHelper.isClientDisconnectedException(error)) {
      // The client closed its connection mid-request: nobody to answer, and nothing wrong with the app.
      log.debug("Client went away during {} {}: {}", exchange.getRequest().getMethod(),
          exchange.getRequest().getPath(), error.toString());
      return Mono.empty();
    }
    ProblemDetail problem;
    if (error instanceof ErrorResponse errorResponse) {
      problem = errorResponse.getBody();
      response.getHeaders().addAll(errorResponse.getHeaders());
    } else if (error instanceof DataBufferLimitException) {
      problem = ProblemDetail.forStatusAndDetail(HttpStatus.PAYLOAD_TOO_LARGE, "The request body is too large.");
    } else if (error.getClass().getName().equals(REQUEST_TIMED_OUT)) {
      problem = ProblemDetail.forStatusAndDetail(HttpStatus.REQUEST_TIMEOUT, "The request body came too slowly.");
    } else {
      log.error("Unhandled error on {} {}", exchange.getRequest().getMethod(), exchange.getRequest().getPath(), error);
      problem = ProblemDetail.forStatusAndDetail(HttpStatus.INTERNAL_SERVER_ERROR, "An unexpected error occurred.");
    }
    if (problem.getInstance() == null) {
      problem.setInstance(URI.create(exchange.getRequest().getPath().value()));
    }
    problem.setProperty("traceId", AccessLogFilter.traceOf(exchange).traceId());

    byte[] body;
    try {
      body = mapper.writeValueAsBytes(problem);
    } catch (JsonProcessingException e) {
      return Mono.error(e);
    }
    response.setStatusCode(HttpStatus.valueOf(problem.getStatus()));
    response.getHeaders().setContentType(MediaType.APPLICATION_PROBLEM_JSON);
    response.getHeaders().setContentLength(body.length);
    return response.writeWith(Mono.just(response.bufferFactory().wrap(body)));
  }

  @Override
  public int getOrder() {
    // Spring Boot's DefaultErrorWebExceptionHandler is at -1.
    return -2;
  }
}
