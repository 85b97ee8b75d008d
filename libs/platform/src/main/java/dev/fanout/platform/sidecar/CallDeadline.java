package dev.fanout.platform.sidecar;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.Deadline;
import io.grpc.MethodDescriptor;
import io.grpc.stub.AbstractStub;
import java.util.concurrent.TimeUnit;

/**
 * A deadline for one call to daprd that the SDK cannot push back. The SDK's timeout interceptor gives every call
 * the configured timeout from the moment it starts, replacing whatever deadline the caller set with
 * {@code withDeadlineAfter}. A call that must end sooner carries its deadline {@link #within} instead; this
 * interceptor, which the platform's stub runs after the SDK's (next to the channel), makes it the call's when it is
 * the earlier of the two.
 */
public final class CallDeadline implements ClientInterceptor {

  private static final CallOptions.Key<Deadline> DEADLINE = CallOptions.Key.create("fanout.call-deadline");

  /** The stub, for calls that end at most this long from now, whatever the configured timeout. */
  public static <S extends AbstractStub<S>> S within(S stub, long duration, TimeUnit unit) {
    return stub.withOption(DEADLINE, Deadline.after(duration, unit));
  }

  @Override
  public <Q, A> ClientCall<Q, A> interceptCall(MethodDescriptor<Q, A> method, CallOptions options, Channel next) {
    Deadline deadline = options.getOption(DEADLINE);
    if (deadline != null && (options.getDeadline() == null || deadline.isBefore(options.getDeadline()))) {
      options = options.withDeadline(deadline);
    }
    return next.newCall(method, options);
  }
}
