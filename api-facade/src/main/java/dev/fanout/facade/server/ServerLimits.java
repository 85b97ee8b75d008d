package dev.fanout.facade.server;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * @param maxConnections connections open at once; further clients wait in the kernel's accept queue (see
 *     {@link ConnectionLimit}). Each open connection can hold a follow in flight, so at the facade's pace (~2000/s
 *     here) 500 are a quarter of a second of waiting. Under 8000 connections the facade accepted 1852–2352 follows/s
 *     with 500, 1038–1253 without a limit (answering the rest 503), and fewer with 1000 or 2000 than with 500
 *     (BENCHMARKS.md, round 25). Raise it for many clients that keep idle connections open.
 * @param requestTimeout a request's whole body must arrive within it, or the request is answered 408 and its
 *     connection closed. Without it, a client that stalls mid-body (or vanished without closing) would hold its
 *     connection, and so one of {@code maxConnections} places, for good: {@code server.netty.idle-timeout} stops
 *     counting once a request has begun. A follow is a few dozen bytes.
 */
@ConfigurationProperties("fanout.server")
record ServerLimits(@DefaultValue("500") int maxConnections, @DefaultValue("10s") Duration requestTimeout) {

  ServerLimits {
    if (maxConnections < 1) {
      throw new IllegalArgumentException("fanout.server.max-connections must be at least 1, not " + maxConnections);
    }
    if (requestTimeout.isNegative() || requestTimeout.isZero()) {
      throw new IllegalArgumentException("fanout.server.request-timeout must be positive, not " + requestTimeout);
    }
  }
}
