package dev.fanout.platform.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import io.dapr.v1.DaprGrpc;
import io.dapr.v1.DaprProtos;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SidecarWarmUpTest {

  private static final DaprSidecarProperties SIDECAR =
      new DaprSidecarProperties("127.0.0.1", 3500, 50001, null, null, Duration.ofSeconds(3), Duration.ofSeconds(1));

  private Server sidecar;
  private ManagedChannel channel;

  @AfterEach
  void close() throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (sidecar != null) {
      sidecar.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void asksDaprdForItsMetadataBeforeTheAppReportsReady() throws IOException {
    var metadataCalls = new AtomicInteger();
    sidecar = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
        .addService(new DaprGrpc.DaprImplBase() {
          @Override
          public void getMetadata(DaprProtos.GetMetadataRequest request,
              StreamObserver<DaprProtos.GetMetadataResponse> answer) {
            metadataCalls.incrementAndGet();
            answer.onNext(DaprProtos.GetMetadataResponse.newBuilder().setId("app").build());
            answer.onCompleted();
          }
        })
        .build().start();

    new SidecarWarmUp(stubOn(sidecar.getPort()), SIDECAR).run(null);

    // run() returns only when the call is answered: the connection is open before readiness is reported.
    assertThat(metadataCalls).hasValue(1);
  }

  @Test
  void letsTheAppStartWhenDaprdIsNotUpYet() throws IOException {
    int closedPort;
    try (var socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }

    // A refused connection fails the call at once: the app starts without waiting out the timeout, here an hour.
    var patient = new DaprSidecarProperties("127.0.0.1", 3500, 50001, null, null, Duration.ofHours(1),
        Duration.ofSeconds(1));
    var warmUp = CompletableFuture.runAsync(() -> new SidecarWarmUp(stubOn(closedPort), patient).run(null));

    assertThat(warmUp).succeedsWithin(Duration.ofSeconds(30));
  }

  private DaprGrpc.DaprStub stubOn(int port) {
    channel = Grpc.newChannelBuilderForAddress("127.0.0.1", port, InsecureChannelCredentials.create()).build();
    return DaprGrpc.newStub(channel);
  }
}
