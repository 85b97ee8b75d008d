package dev.fanout.platform.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import java.net.URI;
import java.net.URISyntaxException;
import org.springframework.boot.web.embedded.netty.NettyServerCustomizer;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import reactor.netty.NettyPipeline;
import reactor.netty.http.server.HttpServer;

/**
 * Gives the errors that Reactor Netty answers by itself, before any of the app's code runs, the same problem details
 * as the app's own errors: a request line longer than the server reads (414), headers larger than it reads (431,
 * {@code server.max-http-request-header-size}), and a request that is not valid HTTP/1.1 (400: a malformed line or
 * header, a broken chunk); and a request target that {@link URI} cannot parse (a {@code |} or a {@code "} in the
 * query, a stray {@code %}), which Netty takes and Spring refuses with 400 as it builds the request, before any filter runs.
 * Both answer those with an empty body. This fills in the body, and leaves the status and the connection as they
 * are.
 *
 * <p>It sits between the HTTP codec and Reactor Netty's traffic handler. It sees what the codec read before Reactor
 * Netty does, and Reactor Netty's answer before the codec writes it. So it knows which answer is Reactor Netty's
 * refusal of what was read, and never touches an answer of the app's.
 */
public final class DecodingFailureProblems implements NettyServerCustomizer {

  static final String HANDLER = "fanout.decodingFailureProblems";

  /** Enough for any of Netty's messages; a longer one would be the client's own bytes echoed back. */
  private static final int MAX_DETAIL = 200;

  private final ObjectMapper mapper;

  public DecodingFailureProblems(ObjectMapper mapper) {
    this.mapper = mapper;
  }

  @Override
  public HttpServer apply(HttpServer server) {
    return server.doOnChannelInit((observer, channel, remoteAddress) -> {
      // HTTP/1.1 only: an HTTP/2 connection has no such codec, and its failures are streams' resets.
      if (channel.pipeline().get(NettyPipeline.HttpCodec) != null) {
        channel.pipeline().addAfter(NettyPipeline.HttpCodec, HANDLER, new Handler());
      }
    });
  }

  /** The status Reactor Netty answers a decoding failure with (HttpServerOperations.sendDecodingFailures). */
  static HttpResponseStatus statusFor(Throwable cause) {
    if (cause instanceof TooLongHttpLineException) {
      return HttpResponseStatus.REQUEST_URI_TOO_LONG;
    }
    if (cause instanceof TooLongHttpHeaderException) {
      return HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE;
    }
    return HttpResponseStatus.BAD_REQUEST;
  }

  private static String decodingFailure(HttpResponseStatus status, Throwable cause) {
    String what = switch (status.code()) {
      case 414 -> "The request line is too long";
      case 431 -> "The request's headers are too large";
      default -> "The request is not valid HTTP/1.1";
    };
    return what + ": " + shortened(cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage());
  }

  private static String shortened(String why) {
    return why.length() > MAX_DETAIL ? why.substring(0, MAX_DETAIL) + "…" : why;
  }

  /**
   * Why Spring refuses this target, or null if it does not: it parses the request's URI as {@code scheme://host}
   * followed by the target's path and query (ReactorUriHelper), with {@link URI}, which is stricter than Netty.
   */
  static URISyntaxException invalidTarget(String target) {
    try {
      new URI(target.startsWith("/") ? "http://localhost" + target : target);
      return null;
    } catch (URISyntaxException invalid) {
      return invalid;
    }
  }

  /** One per connection: it remembers what was last read on it. */
  private final class Handler extends ChannelDuplexHandler {

    /**
     * Each request, and any part of a body that failed to decode. Reactor Netty marks a request it refuses for its
     * own reasons (an HTTP/2 preface, a Host it cannot parse) on that same object. Nothing is read after a failure:
     * the codec discards the rest of the connection.
     */
    private HttpObject lastRead;

    @Override
    public void channelRead(ChannelHandlerContext context, Object message) {
      if (message instanceof HttpRequest || message instanceof HttpObject read && read.decoderResult().isFailure()) {
        lastRead = (HttpObject) message;
      }
      context.fireChannelRead(message);
    }

    @Override
    public void write(ChannelHandlerContext context, Object message, ChannelPromise promise) throws Exception {
      String detail = message instanceof FullHttpResponse answer && !answer.content().isReadable()
          && !answer.headers().contains(HttpHeaderNames.CONTENT_TYPE) ? refusalOfLastRead(answer) : null;
      if (detail == null) {
        context.write(message, promise);
        return;
      }
      var answer = (FullHttpResponse) message;
      byte[] body = mapper.writeValueAsBytes(
          ProblemDetail.forStatusAndDetail(HttpStatus.valueOf(answer.status().code()), detail));
      var problem = new DefaultFullHttpResponse(answer.protocolVersion(), answer.status(),
          Unpooled.wrappedBuffer(body));
      problem.headers().set(answer.headers())
          .set(HttpHeaderNames.CONTENT_TYPE, MediaType.APPLICATION_PROBLEM_JSON_VALUE)
          .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
      answer.release();
      context.write(problem, promise);
    }

    /**
     * Why this empty answer refuses what was last read, or null if it is no such refusal (an answer of the app's).
     * The target is only parsed here, for an empty 400: never on the way of a request that is answered.
     */
    private String refusalOfLastRead(FullHttpResponse answer) {
      if (lastRead == null) {
        return null;
      }
      var decoded = lastRead.decoderResult();
      if (decoded.isFailure()) {
        return answer.status().equals(statusFor(decoded.cause())) ? decodingFailure(answer.status(), decoded.cause())
            : null;
      }
      if (lastRead instanceof HttpRequest request && answer.status().equals(HttpResponseStatus.BAD_REQUEST)) {
        var invalid = invalidTarget(request.uri());
        // The reason only: the message quotes the URI Spring would have built, with a host the client never sent.
        return invalid == null ? null : "The request target is not a valid URI: " + invalid.getReason() + ".";
      }
      return null;
    }
  }
}
