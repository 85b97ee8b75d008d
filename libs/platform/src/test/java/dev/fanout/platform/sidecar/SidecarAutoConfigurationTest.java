package dev.fanout.platform.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import io.dapr.v1.DaprGrpc;
import io.dapr.v1.DaprProtos;
import io.grpc.Context;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** The stub each app calls its daprd with, against a real gRPC server standing in for daprd. */
class SidecarAutoConfigurationTest {

  private static final Metadata.Key<String> API_TOKEN =
      Metadata.Key.of("dapr-api-token", Metadata.ASCII_STRING_MARSHALLER);

  /** What daprd saw of each call: its API token (or none) and how long it had left to answer. */
  private record Seen(String apiToken, long millisLeft) {
  }

  private final LinkedBlockingQueue<Seen> seen = new LinkedBlockingQueue<>();
  /** How long daprd takes to answer each call. */
  private volatile Duration answerAfter = Duration.ZERO;
  private Server sidecar;

  @BeforeEach
  void startSidecar() throws IOException {
    ServerInterceptor recorder = new ServerInterceptor() {
      @Override
      public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
          ServerCallHandler<Q, A> next) {
        var deadline = Context.current().getDeadline();
        long millisLeft = deadline == null ? -1 : deadline.timeRemaining(TimeUnit.MILLISECONDS);
        seen.add(new Seen(headers.get(API_TOKEN), millisLeft));
        return next.startCall(call, headers);
      }
    };
    var metadata = new DaprGrpc.DaprImplBase() {
      @Override
      public void getMetadata(DaprProtos.GetMetadataRequest request,
          StreamObserver<DaprProtos.GetMetadataResponse> answer) {
        try {
          Thread.sleep(answerAfter.toMillis());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        answer.onNext(DaprProtos.GetMetadataResponse.getDefaultInstance());
        answer.onCompleted();
      }
    };
    sidecar = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
        .addService(ServerInterceptors.intercept(metadata, recorder))
        .build().start();
  }

  @AfterEach
  void stopSidecar() throws InterruptedException {
    sidecar.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  private ApplicationContextRunner app(String... properties) {
    return new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(SidecarAutoConfiguration.class))
        .withPropertyValues("dapr.sidecar.grpc-port=" + sidecar.getPort())
        .withPropertyValues(properties);
  }

  @Test
  void sendsTheApiTokenWithEveryCallWhenDaprdRequiresOne() {
    app("dapr.sidecar.api-token=s3cret").run(context -> {
      call(context.getBean(DaprGrpc.DaprStub.class));
      call(context.getBean(DaprGrpc.DaprStub.class));

      assertThat(seen).extracting(Seen::apiToken).containsExactly("s3cret", "s3cret");
    });
  }

  @Test
  void sendsNoApiTokenWhenNoneIsConfigured() {
    app().run(context -> {
      call(context.getBean(DaprGrpc.DaprStub.class));

      assertThat(seen).extracting(Seen::apiToken).containsOnlyNulls().hasSize(1);
    });
  }

  @Test
  void givesEveryCallTheConfiguredTimeoutAsItsDeadline() {
    app("dapr.sidecar.timeout=7s").run(context -> {
      var dapr = connected(context.getBean(DaprGrpc.DaprStub.class));

      call(dapr);

      assertThat(seen.take().millisLeft()).isBetween(2_001L, 7_000L);
    });
  }

  @Test
  void keepsAnEarlierDeadlineTheCallerSetButNotALaterOne() {
    app("dapr.sidecar.timeout=7s").run(context -> {
      var dapr = connected(context.getBean(DaprGrpc.DaprStub.class));

      call(dapr.withDeadlineAfter(2, TimeUnit.SECONDS));
      call(dapr.withDeadlineAfter(60, TimeUnit.SECONDS));

      // The bounds tell the deadlines apart (2 s, 7 s, 60 s), whatever time the calls took on a busy machine.
      assertThat(seen.take().millisLeft()).isBetween(0L, 2_000L);
      assertThat(seen.take().millisLeft()).isBetween(2_001L, 7_000L);
    });
  }

  @Test
  void refusesToStartWithATimeoutThatWouldFailEveryCall() {
    app("dapr.sidecar.timeout=0s").run(context -> assertThat(context).hasFailed()
        .getFailure().rootCause().hasMessageContaining("dapr.sidecar.timeout must be positive"));
  }

  @Test
  void refusesToStartWithAHealthTimeoutThatWouldNeverLetItBeReady() {
    app("dapr.sidecar.health-timeout=0s").run(context -> assertThat(context).hasFailed()
        .getFailure().rootCause().hasMessageContaining("dapr.sidecar.health-timeout must be positive"));
  }

  @Test
  void closesItsChannelWithTheApp() {
    var channel = new CompletableFuture<ManagedChannel>();
    app().run(context -> channel.complete(context.getBean(SidecarChannel.class).channel()));

    assertThat(channel.join().isTerminated()).isTrue();
  }

  @Test
  void letsACallInFlightFinishBeforeTheAppStops() throws Exception {
    answerAfter = Duration.ofMillis(500);
    var answer = new CompletableFuture<Future<DaprProtos.GetMetadataResponse>>();
    app("dapr.sidecar.timeout=5s").run(context -> {
      var dapr = context.getBean(DaprGrpc.DaprStub.class);
      answer.complete(ClientCalls.futureUnaryCall(dapr.getChannel().newCall(DaprGrpc.getGetMetadataMethod(),
          dapr.getCallOptions()), DaprProtos.GetMetadataRequest.getDefaultInstance()));
      seen.take(); // daprd has the call: the app stops while it is in flight
    });

    // Closing the app waited for the answer: it is here already, and not a cancellation.
    assertThat(answer.join().isDone()).isTrue();
    assertThat(answer.join().get()).isEqualTo(DaprProtos.GetMetadataResponse.getDefaultInstance());
  }

  /** The stub once its channel is connected, so that connecting does not eat into the deadlines measured. */
  private DaprGrpc.DaprStub connected(DaprGrpc.DaprStub dapr) {
    call(dapr);
    seen.clear();
    return dapr;
  }

  /** One call through the stub as the apps make them: its channel (with the interceptors) and its call options. */
  private static void call(DaprGrpc.DaprStub dapr) {
    ClientCalls.blockingUnaryCall(dapr.getChannel(), DaprGrpc.getGetMetadataMethod(), dapr.getCallOptions(),
        DaprProtos.GetMetadataRequest.getDefaultInstance());
  }
}
