package dev.fanout.facade.server;

import io.netty.channel.Channel;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.boot.web.embedded.netty.NettyServerCustomizer;
import reactor.netty.http.server.HttpServer;

/**
 * Stops accepting connections while {@code max} are open, and accepts again when one closes. The ones beyond wait in
 * the kernel's accept queue, where they cost the facade nothing, rather than in its heap: each connection can carry
 * a request in flight (~13 KB of exchange and Reactor chain), and under 8000 connections without a limit those filled
 * the 128 MB heap, full collections followed one another, and the facade accepted half its usual pace, answering
 * the rest 503 (BENCHMARKS.md, round 25).
 *
 * <p>Each server it customizes has a limit of its own: in compose the actuator listens on a port of its own, and
 * health checks there must not wait behind the follows.
 */
final class ConnectionLimit implements NettyServerCustomizer {

  private final int max;

  ConnectionLimit(int max) {
    this.max = max;
  }

  @Override
  public HttpServer apply(HttpServer server) {
    return new Gate(max).guard(server);
  }

  /**
   * One server's count. Netty accepts up to 16 connections per read of the listening socket, so the limit can be
   * passed by that many.
   */
  static final class Gate {

    private final int max;
    private final AtomicInteger open = new AtomicInteger();
    private volatile Channel listener;

    Gate(int max) {
      this.max = max;
    }

    HttpServer guard(HttpServer server) {
      return server
          .doOnBound(bound -> listener = bound.channel())
          .doOnChannelInit((observer, connection, remoteAddress) -> {
            open.incrementAndGet();
            decide();
            connection.closeFuture().addListener(closed -> {
              open.decrementAndGet();
              decide();
            });
          });
    }

    int open() {
      return open.get();
    }

    /**
     * Decided on the listener's own event loop, from the count when the task runs: opens and closes race on the
     * connections' loops, and the last decision to run has seen the last of them.
     */
    private void decide() {
      Channel listening = listener;
      if (listening != null) {
        listening.eventLoop().execute(() -> listening.config().setAutoRead(open.get() < max));
      }
    }
  }
}
