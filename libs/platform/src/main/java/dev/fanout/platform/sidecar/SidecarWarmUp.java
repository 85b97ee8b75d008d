package dev.fanout.platform.sidecar;

import io.dapr.v1.DaprGrpc;
import io.dapr.v1.DaprProtos;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;

/**
 * One harmless gRPC call to daprd (its metadata) before the app reports ready. gRPC connects on the first call
 * and loads most of its classes then; without this the first follow a user posts pays for both, in the facade's
 * publish (0.9–1.4 s here, 0.3 s with this call; BENCHMARKS.md, round 14) and again in each subscriber's first state
 * call (round 15). A sidecar not up yet only costs the attempt: the first real call connects on its own when daprd
 * comes, and readiness waits for daprd's health anyway.
 */
class SidecarWarmUp implements ApplicationRunner {

  private static final Logger log = LoggerFactory.getLogger(SidecarWarmUp.class);

  private final DaprGrpc.DaprStub dapr;
  private final DaprSidecarProperties sidecar;

  SidecarWarmUp(DaprGrpc.DaprStub dapr, DaprSidecarProperties sidecar) {
    this.dapr = dapr;
    this.sidecar = sidecar;
  }

  @Override
  public void run(ApplicationArguments args) {
    var answered = new CompletableFuture<Void>();
    dapr.getMetadata(DaprProtos.GetMetadataRequest.getDefaultInstance(), new StreamObserver<>() {
      @Override
      public void onNext(DaprProtos.GetMetadataResponse value) {
      }

      @Override
      public void onError(Throwable failure) {
        answered.completeExceptionally(failure);
      }

      @Override
      public void onCompleted() {
        answered.complete(null);
      }
    });
    try {
      answered.get(sidecar.timeout().toMillis(), TimeUnit.MILLISECONDS);
      log.debug("gRPC connection to daprd open");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      log.info("gRPC connection to daprd not open yet ({}); the first call will open it", e.toString());
    }
  }
}
