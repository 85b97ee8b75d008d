package dev.fanout.facade.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.boot.web.embedded.netty.NettyServerCustomizer;
import reactor.netty.NettyPipeline;
import reactor.netty.http.server.HttpServer;

/**
 * At most {@code max} connections open: at the limit the server stops accepting, and the clients beyond wait in the
 * kernel's accept queue, their requests unread, where they cost the facade nothing. Without it every connection
 * could hold a follow in flight (~13 KB of exchange and Reactor chain): under 8000 connections those filled the
 * 128 MB heap, full collections followed one another, and the facade accepted half its usual pace, answering the
 * rest 503 (BENCHMARKS.md, round 25).
 *
 * <p>While at the limit each answer closes its connection, so that the clients waiting to be accepted take turns
 * with the ones inside (a keep-alive client that never paused would otherwise keep its place for good, and a pool
 * larger than the limit would have connections never served). The accept queue holds the kernel's backlog
 * ({@code net.core.somaxconn}); beyond it connection attempts are dropped and the clients' TCP retries them.
 *
 * <p>Spring Boot applies it to the application's server only: where the actuator has a port of its own (8090 in
 * compose), health checks there do not wait behind the follows.
 */
final class ConnectionLimit implements NettyServerCustomizer {

  private final int max;
  private final AtomicInteger open = new AtomicInteger();
  private final CloseWhileFull closeWhileFull = new CloseWhileFull();

  ConnectionLimit(int max) {
    this.max = max;
  }

  @Override
  public HttpServer apply(HttpServer server) {
    return server
        .doOnBound(bound -> bound.channel().pipeline().addFirst(new Counter()))
        .doOnChannelInit((observer, connection, remoteAddress) -> {
          // Reactor Netty's own HTTP/1.1 handlers are in place by now; an HTTP/2 connection has none to follow.
          if (connection.pipeline().get(NettyPipeline.HttpTrafficHandler) != null) {
            connection.pipeline().addAfter(NettyPipeline.HttpTrafficHandler, "fanout.closeWhileFull", closeWhileFull);
          }
        });
  }

  int open() {
    return open.get();
  }

  private boolean full() {
    return open.get() >= max;
  }

  /**
   * On the listening channel, where connections are accepted: sees each one before Reactor Netty does. Stopping the
   * reads there stops the accepting at once (epoll checks after each connection; NIO after those of the current
   * read).
   */
  private final class Counter extends ChannelInboundHandlerAdapter {

    @Override
    public void channelRead(ChannelHandlerContext listening, Object accepted) {
      open.incrementAndGet();
      decide(listening.channel());
      ((Channel) accepted).closeFuture().addListener(closed -> {
        open.decrementAndGet();
        // Closes happen on the connections' loops; decided on the listener's, from the count when the task runs,
        // so that the last decision has seen the last change.
        if (listening.channel().isOpen()) {
          listening.executor().execute(() -> decide(listening.channel()));
        }
      });
      listening.fireChannelRead(accepted);
    }

    // Reactor Netty turns reading back on a second after an accept failed (too many open files, say), whatever the
    // count; the next connection accepted decides again, so that passes the limit by one at most.
    private void decide(Channel listener) {
      listener.config().setAutoRead(!full());
    }
  }

  /**
   * Marks an answer "Connection: close" while the server is full; Reactor Netty closes after sending it. Not a
   * "100 Continue": the request's body is still to come on that connection.
   */
  @Sharable
  private final class CloseWhileFull extends ChannelDuplexHandler {

    @Override
    public void write(ChannelHandlerContext context, Object message, ChannelPromise promise) throws Exception {
      if (message instanceof HttpResponse answer && answer.status().codeClass() != HttpStatusClass.INFORMATIONAL
          && full()) {
        HttpUtil.setKeepAlive(answer, false);
      }
      super.write(context, message, promise);
    }
  }
}
