package dev.fanout.facade.followers;

import dev.fanout.platform.web.AccessLogFilter;
import java.net.URI;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.ErrorResponseException;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

@RestController
class FollowersController {

  private final FollowRequestReader reader;
  private final FollowerEventPublisher publisher;
  private final FollowersProperties properties;

  FollowersController(FollowRequestReader reader, FollowerEventPublisher publisher, FollowersProperties properties) {
    this.reader = reader;
    this.publisher = publisher;
    this.properties = properties;
  }

  record Accepted(String eventId) {
  }

  /**
   * 202 only once the event is in the broker; 503 with Retry-After when that could not be confirmed.
   *
   * <p>{@code produces}: a client that cannot take our JSON answer gets its 406 before anything is published.
   * Negotiated only after the handler, it would get the 406 for an event already in the broker, and retry.
   */
  @PostMapping(path = "/followers", produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<ResponseEntity<Accepted>> follow(ServerWebExchange exchange) {
    var trace = AccessLogFilter.traceOf(exchange);
    return reader.read(exchange.getRequest())
        .flatMap(request -> publisher.publish(request, trace))
        .doOnNext(eventId -> AccessLogFilter.note(exchange, "event=" + eventId))
        .map(eventId -> ResponseEntity.status(HttpStatus.ACCEPTED).body(new Accepted(eventId)))
        .onErrorMap(PublishFailedException.class, this::unavailable);
  }

  private ErrorResponseException unavailable(PublishFailedException failure) {
    var problem = ProblemDetail.forStatusAndDetail(HttpStatus.SERVICE_UNAVAILABLE,
        "The event could not be confirmed as stored in the broker. Retry later.");
    problem.setTitle("Event store unavailable");
    problem.setType(URI.create("/problems/publish-unavailable"));
    var exception = new ErrorResponseException(HttpStatus.SERVICE_UNAVAILABLE, problem, failure);
    exception.getHeaders().set("Retry-After", String.valueOf(properties.retryAfterSeconds()));
    return exception;
  }
}
