package dev.fanout.platform.sidecar;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.Deadline;
import io.grpc.MethodDescriptor;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Every call to daprd ends within the configured timeout, or sooner when the caller set an earlier deadline on its
 * stub ({@code withDeadlineAfter}): a publish that must answer its oldest request in time, for one.
 */
final class CallDeadline implements ClientInterceptor {

  private final long timeoutNanos;

  CallDeadline(Duration timeout) {
    this.timeoutNanos = timeout.toNanos();
  }

  @Override
  public <Q, A> ClientCall<Q, A> interceptCall(MethodDescriptor<Q, A> method, CallOptions options, Channel next) {
    Deadline timeout = Deadline.after(timeoutNanos, TimeUnit.NANOSECONDS);
    if (options.getDeadline() == null || timeout.isBefore(options.getDeadline())) {
      options = options.withDeadline(timeout);
    }
    return next.newCall(method, options);
  }
}
