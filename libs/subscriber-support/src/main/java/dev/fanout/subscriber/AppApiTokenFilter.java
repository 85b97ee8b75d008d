package dev.fanout.subscriber;

import dev.fanout.platform.web.AccessLogFilter;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.http.HttpStatus;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Only our own daprd may call the Dapr routes: it sends APP_API_TOKEN as {@code dapr-api-token} on every call.
 * Anything else that reaches the app's port — a forged event posted straight to {@code /followerAdded} — gets a
 * 401 and has no effect. Health and metrics stay open for probes.
 */
class AppApiTokenFilter implements WebFilter, Ordered {

  static final String HEADER = "dapr-api-token";
  private static final Logger log = LoggerFactory.getLogger(AppApiTokenFilter.class);

  private final byte[] token;

  AppApiTokenFilter(String token) {
    this.token = token.getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
    String path = exchange.getRequest().getPath().value();
    if (isOpenToProbes(path)) {
      return chain.filter(exchange);
    }
    String presented = exchange.getRequest().getHeaders().getFirst(HEADER);
    if (presented != null && MessageDigest.isEqual(token, presented.getBytes(StandardCharsets.UTF_8))) {
      return chain.filter(exchange);
    }
    log.warn("refused {} {} trace={}: {} dapr-api-token", exchange.getRequest().getMethod(), path,
        AccessLogFilter.traceOf(exchange).traceId(), presented == null ? "no" : "wrong");
    return Mono.error(new ResponseStatusException(HttpStatus.UNAUTHORIZED,
        "This route only answers this service's own Dapr sidecar (header dapr-api-token)."));
  }

  /** Everything else this app serves is for its sidecar only: /dapr/*, the topic routes, the actor routes. */
  private static boolean isOpenToProbes(String path) {
    return path.startsWith("/actuator/") || path.equals("/healthz");
  }

  @Override
  public int getOrder() {
    // Right after the access log, before anything reads the body.
    return Ordered.HIGHEST_PRECEDENCE + 1;
  }
}
