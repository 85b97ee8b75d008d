package dev.fanout.platform.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.http.server.reactive.ServerHttpResponseDecorator;
import org.springframework.web.ErrorResponse;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebExceptionHandler;
import org.springframework.web.util.DisconnectedClientHelper;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;
import reactor.netty.http.server.HttpServerResponse;

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

  private static final HttpStatusCode CLIENT_CLOSED_REQUEST = HttpStatusCode.valueOf(499);

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
    // An error that carries its answer is answered, whatever its message says: Spring's test for a client gone
    // reads "broken pipe" or "connection reset by peer" in any message, and a 503 quoting daprd's lost connection
    // to Redis, or a 415 quoting a client's Content-Encoding, would otherwise become an empty 200.
    ProblemDetail problem;
    if (error instanceof ErrorResponse errorResponse) {
      problem = errorResponse.getBody();
      response.getHeaders().addAll(errorResponse.getHeaders());
    } else if (error instanceof DataBufferLimitException) {
      problem = ProblemDetail.forStatusAndDetail(HttpStatus.PAYLOAD_TOO_LARGE, "The request body is too large.");
    } else if (error.getClass().getName().equals(REQUEST_TIMED_OUT)) {
      problem = ProblemDetail.forStatusAndDetail(HttpStatus.REQUEST_TIMEOUT, "The request body came too slowly.");
    } else if (clientGone(error, nativeRequest(exchange))) {
      // The client closed its connection mid-request: nobody to answer, and nothing wrong with the app. The status
      // is for the access line and the metrics only (nginx's "client closed request"); nothing is sent.
      log.debug("Client went away during {} {}: {}", exchange.getRequest().getMethod(),
          exchange.getRequest().getPath(), error.toString());
      if (!headersSent(response)) { // Reactor Netty answered a broken request itself: its status stands
        response.setStatusCode(CLIENT_CLOSED_REQUEST);
      }
      return Mono.empty();
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

  /**
   * Whether the error is the client's connection closing: as Spring tells it (the error's type, or its message's
   * wording), and either the error is the socket's own (the client's socket failing reaches the app as the
   * IOException itself, a reset while the body arrives before the connection is marked closed), or, where the server
   * can say, the connection is closed. A message alone does not make a client gone: it may quote any connection of
   * the app's (to daprd, to a push gateway), which reaches here wrapped in what it broke.
   */
  static boolean clientGone(Throwable error, Object nativeRequest) {
    if (!DisconnectedClientHelper.isClientDisconnectedException(error)) {
      return false;
    }
    return error instanceof IOException || !(nativeRequest instanceof Connection connection)
        || connection.isDisposed();
  }

  private static boolean headersSent(ServerHttpResponse response) {
    try {
      return ServerHttpResponseDecorator.getNativeResponse(response) instanceof HttpServerResponse nettyResponse
          && nettyResponse.hasSentHeaders();
    } catch (IllegalArgumentException | IllegalStateException none) { // an unknown decorator; a mock response
      return false;
    }
  }

  /** Reactor Netty's request, itself the connection; whatever else the server has, or nothing. */
  private static Object nativeRequest(ServerWebExchange exchange) {
    try {
      return ServerHttpRequestDecorator.getNativeRequest(exchange.getRequest());
    } catch (IllegalArgumentException | IllegalStateException none) { // an unknown decorator; a mock request
      return null;
    }
  }

  @Override
  public int getOrder() {
    // Spring Boot's DefaultErrorWebExceptionHandler is at -1.
    return -2;
  }
}
