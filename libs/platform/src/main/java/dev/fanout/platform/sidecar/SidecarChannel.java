package dev.fanout.platform.sidecar;

import io.grpc.ManagedChannel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The app's one gRPC channel to its daprd, closed the way a client should be: calls already made may finish, for up
 * to one call's timeout, before the rest are cancelled. A bare {@code shutdown()} returns at once, and gRPC's
 * threads are daemons, so a call still in flight (a lease renewed by a timer, a warm-up) would die with the JVM
 * unanswered. Spring closes this after the beans that call daprd, which depend on it through the stub.
 *
 * @param channel the channel the stub calls through
 * @param grace how long closing waits for the calls in flight: the sidecar timeout, which ends each of them anyway
 */
record SidecarChannel(ManagedChannel channel, Duration grace) implements AutoCloseable {

  @Override
  public void close() throws InterruptedException {
    channel.shutdown();
    if (!channel.awaitTermination(grace.toNanos(), TimeUnit.NANOSECONDS)) {
      channel.shutdownNow();
    }
  }
}
