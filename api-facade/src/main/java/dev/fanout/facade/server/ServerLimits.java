package dev.fanout.facade.server;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * @param maxConnections connections open at once; further clients wait in the kernel's accept queue until one
 *     closes (see {@link ConnectionLimit}). Each open connection can hold a follow in flight, so at the facade's
 *     pace (~2000/s here) 500 are a quarter of a second of waiting. Under 8000 connections, 500 accepted the most
 *     (1790–2474/s, against 1350–2358 with 1000 and 794–1000 without a limit), with the shortest waits and the
 *     least memory (BENCHMARKS.md, round 25). Raise it for many clients that keep idle connections open.
 */
@ConfigurationProperties("fanout.server")
record ServerLimits(@DefaultValue("500") int maxConnections) {

  ServerLimits {
    if (maxConnections < 1) {
      throw new IllegalArgumentException("fanout.server.max-connections must be at least 1, not " + maxConnections);
    }
  }
}
