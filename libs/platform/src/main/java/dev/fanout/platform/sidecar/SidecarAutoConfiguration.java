package dev.fanout.platform.sidecar;

import com.google.common.util.concurrent.MoreExecutors;
import io.dapr.config.Properties;
import io.dapr.utils.NetworkUtils;
import io.dapr.v1.DaprGrpc;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import java.util.ArrayList;
import java.util.Map;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * The one connection each app has to its own daprd: one gRPC channel for the life of the app, built by the SDK
 * from its own settings ({@link NetworkUtils}), and the generated stub the apps call daprd with (the facade
 * publishes, the subscribers keep their idempotency records).
 *
 * <p>Not the SDK's {@code DaprClient}: nothing here uses its API, and building one also builds a JDK HTTP client
 * for daprd's HTTP API, with TLS loaded and a selector thread: ~560 classes that each JVM carried for nothing
 * (BENCHMARKS.md, round 26).
 * The stub does what the client's stubs do: the API token on each call, the configured timeout as each call's
 * deadline. Unlike them it runs gRPC's callbacks on its event loop, where the client hands every answer to gRPC's
 * executor, a thread switch per call; answering on the event loop cut the facade's CPU per request to ~0.9 of that
 * (BENCHMARKS.md, round 14). What runs downstream of an answer must therefore not block: it only completes
 * requests and queues writes and log lines.
 */
@AutoConfiguration
@EnableConfigurationProperties(DaprSidecarProperties.class)
public class SidecarAutoConfiguration {

  private static final Metadata.Key<String> API_TOKEN =
      Metadata.Key.of("dapr-api-token", Metadata.ASCII_STRING_MARSHALLER);

  @Bean
  @ConditionalOnMissingBean(DaprGrpc.DaprStub.class)
  SidecarChannel daprChannel(DaprSidecarProperties sidecar) {
    return new SidecarChannel(NetworkUtils.buildGrpcManagedChannel(new Properties(Map.of(
        Properties.SIDECAR_IP.getName(), sidecar.host(),
        Properties.GRPC_PORT.getName(), String.valueOf(sidecar.grpcPort())))), sidecar.timeout());
  }

  @Bean
  @ConditionalOnMissingBean(DaprGrpc.DaprStub.class)
  DaprGrpc.DaprStub daprStub(SidecarChannel daprChannel, DaprSidecarProperties sidecar) {
    var interceptors = new ArrayList<ClientInterceptor>();
    interceptors.add(new CallDeadline(sidecar.timeout()));
    if (sidecar.hasApiToken()) {
      var token = new Metadata();
      token.put(API_TOKEN, sidecar.apiToken());
      interceptors.add(MetadataUtils.newAttachHeadersInterceptor(token));
    }
    return DaprGrpc.newStub(ClientInterceptors.intercept(daprChannel.channel(), interceptors))
        .withExecutor(MoreExecutors.directExecutor());
  }

  @Bean
  SidecarWarmUp sidecarWarmUp(DaprGrpc.DaprStub dapr, DaprSidecarProperties sidecar) {
    return new SidecarWarmUp(dapr, sidecar);
  }
}
