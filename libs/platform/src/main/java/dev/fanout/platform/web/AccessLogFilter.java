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
 * One line per HTTP request on logger {@code access}: method, path, status, duration and the W3C trace id.
 * Runs first, so that the trace context it establishes (the caller's, or a new one) is what every later
 * stage, and the publish to daprd, sees.
 */
public class AccessLogFilter implements WebFilter, Ordered {

  private static final Logger ACCESS = LoggerFactory.getLogger("access");

  @Override
  public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
    long start = System.nanoTime();
    TraceContext trace = TraceContext.parse(exchange.getRequest().getHeaders().getFirst(TraceContext.HEADER))
        .orElseGet(TraceContext::generate);
    exchange.getAttributes().put(TraceContext.ATTRIBUTE, trace);
    return chain.filter(exchange).doFinally(signal -> {
      var request = exchange.getRequest();
      var status = exchange.getResponse().getStatusCode();
      ACCESS.info("{} {} {} {}ms trace={}{}",
          request.getMethod(),
          request.getPath().value(),
          status == null ? "-" : status.value(),
          String.format("%.1f", (System.nanoTime() - start) / 1e6),
          trace.traceId(),
          switch (signal) {
            case CANCEL -> " (client went away)";
            default -> "";
          });
    });
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
