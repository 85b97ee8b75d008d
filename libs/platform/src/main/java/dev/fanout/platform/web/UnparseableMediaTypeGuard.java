package dev.fanout.platform.web;

import java.util.List;
import org.springframework.http.HttpHeaders;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.http.server.reactive.HttpHandlerDecoratorFactory;
import org.springframework.http.server.reactive.ServerHttpRequest;

/**
 * Keeps a client's broken {@code Content-Type} or {@code Accept} a client error. Some malformed values (an unclosed
 * quote such as {@code "/!}) make Spring's media type parser fail with an {@link IndexOutOfBoundsException} instead
 * of an {@link InvalidMediaTypeException}. For {@code Content-Type} Spring parses the header while it builds the
 * exchange, before any filter or error handler runs, and the server closed the connection without an answer; for
 * {@code Accept} the parse fails inside error rendering, and a 404 became a 500. Such a value is replaced with one
 * that fails the ordinary way, so the request gets the answer any unreadable header gets (415 for the body's type,
 * 406 for what the client accepts, 404 for an unknown path), access log line included.
 */
public class UnparseableMediaTypeGuard implements HttpHandlerDecoratorFactory {

  static final String UNPARSEABLE = "unparseable";

  @Override
  public HttpHandler apply(HttpHandler handler) {
    return (request, response) -> handler.handle(guarded(request), response);
  }

  private static ServerHttpRequest guarded(ServerHttpRequest request) {
    HttpHeaders headers = request.getHeaders();
    boolean contentType = breaksTheParser(headers.getOrEmpty(HttpHeaders.CONTENT_TYPE));
    boolean accept = breaksTheParser(headers.getOrEmpty(HttpHeaders.ACCEPT));
    if (!contentType && !accept) {
      return request;
    }
    var builder = request.mutate();
    if (contentType) {
      builder.header(HttpHeaders.CONTENT_TYPE, UNPARSEABLE);
    }
    if (accept) {
      builder.header(HttpHeaders.ACCEPT, UNPARSEABLE);
    }
    return builder.build();
  }

  private static boolean breaksTheParser(List<String> values) {
    if (values.isEmpty()) {
      return false;
    }
    try {
      MediaType.parseMediaTypes(values);
      return false;
    } catch (IllegalArgumentException expected) {
      return false; // InvalidMediaTypeException, unknown charset: Spring and the apps handle these
    } catch (RuntimeException parserBug) {
      return true;
    }
  }
}
