package dev.fanout.platform.web;

import dev.fanout.platform.trace.TraceContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * One line per HTTP request on logger {@code access}: method, path, status, duration, the W3C trace id, and what
 * the handler added with {@link #note} (the facade's event id, a bulk delivery's size). Runs first, so that the
 * trace context it establishes (the caller's, or a new one) is what every later stage, and the publish to daprd,
 * sees. One line per request, not one per stage: under load the access line alone was a quarter of the facade's
 * CPU per request while each line was its own write (BENCHMARKS.md, round 12); lines now leave in batches
 * ({@code BatchingConsoleAppender}), but each one is still formatted.
 */
public class AccessLogFilter implements WebFilter, Ordered {

  private static final Logger ACCESS = LoggerFactory.getLogger("access");
  private static final String NOTE = AccessLogFilter.class.getName() + ".note";

  @Override
  public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
    long start = System.nanoTime();
    TraceContext trace = TraceContext.parse(exchange.getRequest().getHeaders().getFirst(TraceContext.HEADER))
        .orElseGet(TraceContext::generate);
    exchange.getAttributes().put(TraceContext.ATTRIBUTE, trace);
    return chain.filter(exchange).doFinally(signal -> {
      var request = exchange.getRequest();
      var status = exchange.getResponse().getStatusCode();
      String note = exchange.getAttribute(NOTE);
      ACCESS.info("{} {} {} {}ms trace={}{}{}",
          request.getMethod(),
          request.getPath().value(),
          status == null ? "-" : status.value(),
          (System.nanoTime() - start) / 100_000 / 10.0,
          trace.traceId(),
          note == null ? "" : " " + note,
          switch (signal) {
            case CANCEL -> " (client went away)";
            default -> "";
          });
    });
  }

  /** Adds {@code note} (such as {@code event=<id>}) to this exchange's access line. */
  public static void note(ServerWebExchange exchange, String note) {
    exchange.getAttributes().put(NOTE, note);
  }

  @Override
  public int getOrder() {
    return Ordered.HIGHEST_PRECEDENCE;
  }

  /** The trace context of this exchange, as established by the filter (a new one when it did not run). */
  public static TraceContext traceOf(ServerWebExchange exchange) {
    TraceContext trace = exchange.getAttribute(TraceContext.ATTRIBUTE);
    return trace != null ? trace : TraceContext.generate();
  }
}
