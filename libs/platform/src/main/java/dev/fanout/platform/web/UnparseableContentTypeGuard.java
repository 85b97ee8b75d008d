package dev.fanout.platform.web;

import org.springframework.http.HttpHeaders;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.http.server.reactive.HttpHandlerDecoratorFactory;

/**
 * Keeps a client's broken {@code Content-Type} a client error. Some malformed values (an unclosed quote such as
 * {@code "/!}) make Spring's media type parser fail with an {@link IndexOutOfBoundsException} instead of an
 * {@link InvalidMediaTypeException}, and Spring parses the header while it builds the exchange, before any filter
 * or error handler runs: the server closed the connection without an answer. Such a value is replaced with one
 * that fails the ordinary way, so the request gets the app's usual 415 problem, access log line included.
 */
public class UnparseableContentTypeGuard implements HttpHandlerDecoratorFactory {

  static final String UNPARSEABLE = "unparseable";

  @Override
  public HttpHandler apply(HttpHandler handler) {
    return (request, response) -> {
      String contentType = request.getHeaders().getFirst(HttpHeaders.CONTENT_TYPE);
      if (contentType == null || parsesOrFailsCleanly(contentType)) {
        return handler.handle(request, response);
      }
      return handler.handle(request.mutate().header(HttpHeaders.CONTENT_TYPE, UNPARSEABLE).build(), response);
    };
  }

  private static boolean parsesOrFailsCleanly(String contentType) {
    try {
      MediaType.parseMediaType(contentType);
      return true;
    } catch (IllegalArgumentException expected) {
      return true; // InvalidMediaTypeException, unknown charset: Spring and the apps handle these
    } catch (RuntimeException parserBug) {
      return false;
    }
  }
}
