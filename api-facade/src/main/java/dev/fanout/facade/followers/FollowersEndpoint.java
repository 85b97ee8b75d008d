package dev.fanout.facade.followers;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import dev.fanout.platform.web.AccessLogFilter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.List;
import java.util.UUID;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ReactiveHttpOutputMessage;
import org.springframework.web.ErrorResponseException;
import org.springframework.web.reactive.function.BodyInserter;
import org.springframework.web.reactive.function.server.RequestPredicates;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.server.MethodNotAllowedException;
import org.springframework.web.server.NotAcceptableStatusException;
import reactor.core.publisher.Mono;

/**
 * {@code POST /followers}: 202 with the event id once the event is in the broker; 503 with Retry-After when that
 * could not be confirmed. A retry with the same {@link IdempotencyKey} publishes the same event id.
 *
 * <p>A functional endpoint, not an annotated controller: for every request the annotated path built a fresh
 * argument-resolver cache, invoked the method reflectively and looked up a JSON encoder for the answer. Net of what
 * routing costs, that was a sixth of the facade's allocation per request, and so of its young collections, which
 * were half of its latency tail at 1000 requests/s (BENCHMARKS.md, round 16). What the annotations gave is kept
 * here by hand: 405 with {@code Allow} for other methods, OPTIONS, and a 406 for a client that cannot take our JSON
 * answer.
 */
@Configuration(proxyBeanMethods = false)
class FollowersEndpoint {

  private static final String PATH = "/followers";
  private static final List<MediaType> PRODUCES = List.of(MediaType.APPLICATION_JSON);

  private final FollowRequestReader reader;
  private final FollowerEventPublisher publisher;
  private final FollowersProperties properties;
  private final ObjectWriter answerWriter;

  FollowersEndpoint(FollowRequestReader reader, FollowerEventPublisher publisher, FollowersProperties properties,
      ObjectMapper mapper) {
    this.reader = reader;
    this.publisher = publisher;
    this.properties = properties;
    this.answerWriter = mapper.writerFor(Accepted.class);
  }

  record Accepted(String eventId) {
  }

  @Bean
  RouterFunction<ServerResponse> followersRoutes() {
    return RouterFunctions.route()
        .POST(PATH, this::follow)
        .OPTIONS(PATH, request -> ServerResponse.ok().allow(HttpMethod.POST, HttpMethod.OPTIONS).build())
        .route(RequestPredicates.path(PATH), request -> Mono.error(
            new MethodNotAllowedException(request.method(), List.of(HttpMethod.POST, HttpMethod.OPTIONS))))
        .build();
  }

  Mono<ServerResponse> follow(ServerRequest request) {
    // Before the body is read: turned away afterwards, the client would retry an event already in the broker.
    refuseUnlessJsonIsAcceptable(request);
    var exchange = request.exchange();
    var trace = AccessLogFilter.traceOf(exchange);
    return reader.read(exchange.getRequest())
        .flatMap(follow -> publisher.publish(follow, trace, eventId(request, follow)))
        .flatMap(eventId -> {
          AccessLogFilter.note(exchange, "event=" + eventId);
          byte[] answer = answer(eventId);
          return ServerResponse.accepted().contentType(MediaType.APPLICATION_JSON)
              .contentLength(answer.length)
              .body(bytes(answer));
        })
        .onErrorMap(PublishFailedException.class, this::unavailable);
  }

  /** The same for every try of a follow with an Idempotency-Key; fresh for each request without one. */
  private static String eventId(ServerRequest request, FollowRequest follow) {
    var key = IdempotencyKey.of(request.headers().asHttpHeaders());
    return key == null ? UUID.randomUUID().toString() : key.eventId(follow);
  }

  /** As {@code produces} would: no Accept header, or one that admits application/json. */
  private static void refuseUnlessJsonIsAcceptable(ServerRequest request) {
    List<MediaType> accepted;
    try {
      accepted = request.headers().accept();
    } catch (InvalidMediaTypeException unreadable) {
      throw new NotAcceptableStatusException("Could not parse the Accept header: " + unreadable.getMessage());
    }
    if (!accepted.isEmpty() && accepted.stream().noneMatch(MediaType.APPLICATION_JSON::isCompatibleWith)) {
      throw new NotAcceptableStatusException(PRODUCES);
    }
  }

  private byte[] answer(String eventId) {
    try {
      return answerWriter.writeValueAsBytes(new Accepted(eventId));
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The answer as it is, without looking up a message writer for it. */
  private static BodyInserter<byte[], ReactiveHttpOutputMessage> bytes(byte[] body) {
    return (message, context) -> message.writeWith(Mono.fromSupplier(() -> message.bufferFactory().wrap(body)));
  }

  private ErrorResponseException unavailable(PublishFailedException failure) {
    var problem = ProblemDetail.forStatusAndDetail(HttpStatus.SERVICE_UNAVAILABLE,
        "The event could not be confirmed as stored in the broker. Retry later.");
    problem.setTitle("Event store unavailable");
    problem.setType(URI.create("/problems/publish-unavailable"));
    var exception = new Unavailable(problem, failure);
    exception.getHeaders().set("Retry-After", String.valueOf(properties.retryAfterSeconds()));
    return exception;
  }

  /** The 503, without a stack trace, as its cause (see {@link PublishFailedException}). */
  private static final class Unavailable extends ErrorResponseException {

    Unavailable(ProblemDetail problem, PublishFailedException cause) {
      super(HttpStatus.SERVICE_UNAVAILABLE, problem, cause);
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
      return this;
    }
  }
}
