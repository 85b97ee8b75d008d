package dev.fanout.facade.followers;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import io.grpc.Context;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.dapr.v1.DaprGrpc;
import io.dapr.v1.DaprProtos;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import java.util.stream.IntStream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * The facade's real publish path, against stand-ins for its daprd that speak the protocols the app really uses:
 * gRPC for publishing (the Java SDK's transport), served by a gRPC server in this JVM, and HTTP for the sidecar's
 * health, served by WireMock. Asserts what reached the sidecar, and that a failing or stalled sidecar gives 503.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"dapr.sidecar.timeout=2s", "fanout.followers.max-batches-in-flight=1",
        "fanout.server.request-timeout=1s"})
class FollowerEventPublisherTest {

  /** What the stub sidecar does with the next bulk publish. */
  static volatile BiConsumer<DaprProtos.BulkPublishRequest, StreamObserver<DaprProtos.BulkPublishResponse>> behaviour;
  static final List<DaprProtos.BulkPublishRequest> received = new CopyOnWriteArrayList<>();
  static final AtomicInteger metadataCalls = new AtomicInteger();
  static final Server sidecar = startSidecar();

  @RegisterExtension
  static WireMockExtension sidecarHttp = WireMockExtension.newInstance().options(wireMockConfig().dynamicPort()).build();

  @DynamicPropertySource
  static void sidecarPorts(DynamicPropertyRegistry registry) {
    registry.add("dapr.sidecar.grpc-port", sidecar::getPort);
    registry.add("dapr.sidecar.http-port", sidecarHttp::getPort);
  }

  @Autowired
  WebTestClient client;

  @Autowired
  ObjectMapper mapper;

  @Autowired
  FollowerEventPublisher publisher;

  @LocalServerPort
  int port;

  final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void reset() {
    received.clear();
    behaviour = (request, reply) -> allStored(reply);
  }

  @AfterAll
  static void stopSidecar() {
    sidecar.shutdownNow();
  }

  @Test
  void publishesTheFollowAsACloudEventWhoseIdIsReturned() throws IOException {
    String traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    String eventId = client.post().uri("/followers").header("traceparent", traceparent)
        .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"userId\": \"alice\", \"followerId\": \"bob\"}")
        .exchange()
        .expectStatus().isAccepted()
        .expectBody(FollowersEndpoint.Accepted.class).returnResult().getResponseBody().eventId();

    assertThat(received).hasSize(1);
    DaprProtos.BulkPublishRequest publish = received.get(0);
    assertThat(publish.getPubsubName()).isEqualTo("pubsub");
    assertThat(publish.getTopic()).isEqualTo("followerAdded");
    assertThat(publish.getMetadataMap()).doesNotContainKey("ttlInSeconds");
    assertThat(publish.getEntriesList()).hasSize(1);
    DaprProtos.BulkPublishRequestEntry entry = publish.getEntries(0);
    assertThat(entry.getContentType()).isEqualTo("application/cloudevents+json");
    assertThat(entry.getMetadataMap()).doesNotContainKey("ttlInSeconds");

    JsonNode event = mapper.readTree(entry.getEvent().toByteArray());
    assertThat(event.path("id").asText()).isEqualTo(eventId).isEqualTo(entry.getEntryId()).isNotBlank();
    assertThat(event.path("specversion").asText()).isEqualTo("1.0");
    assertThat(event.path("type").asText()).isEqualTo("dev.fanout.followerAdded.v1");
    assertThat(event.path("source").asText()).isEqualTo("api-facade");
    assertThat(event.path("traceparent").asText()).startsWith("00-4bf92f3577b34da6a3ce929d0e0e4736-");
    // With "traceid" present daprd keeps the event's own trace instead of stamping the bulk call's on it.
    assertThat(event.path("traceid").asText()).isEqualTo(event.path("traceparent").asText());
    assertThat(event.path("data").path("userId").asText()).isEqualTo("alice");
    assertThat(event.path("data").path("followerId").asText()).isEqualTo("bob");
    assertThat(event.path("data").path("followedAt").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
    assertThat(event.has("data_base64")).as("no null CloudEvent attributes are sent").isFalse();
  }

  @Test
  void eventsArrivingWhileTheSidecarIsBusyLeaveTogetherInOneBulkPublish() throws Exception {
    var releaseFirstCall = holdTheFirstCall((request, reply) -> allStored(reply));
    var first = follow("first");
    awaitTheFirstCall();
    var waiting = IntStream.range(0, 5).mapToObj(i -> follow("waiting" + i)).toList();
    // One bulk call is outstanding (max-batches-in-flight=1): the five queue behind it, unanswered.
    awaitWaiting(5);
    assertThat(received).hasSize(1);
    assertThat(waiting).noneMatch(CompletableFuture::isDone);

    releaseFirstCall.countDown();

    assertThat(first.get(5, TimeUnit.SECONDS)).isEqualTo(202);
    for (var each : waiting) {
      assertThat(each.get(5, TimeUnit.SECONDS)).isEqualTo(202);
    }
    assertThat(received).hasSize(2);
    assertThat(received.get(1).getEntriesList()).hasSize(5);
  }

  @Test
  void answersServiceUnavailableOnlyForTheEntriesTheSidecarCouldNotStore() throws Exception {
    var releaseFirstCall = holdTheFirstCall((request, reply) -> {
      var failed = request.getEntriesList().stream()
          .filter(entry -> entry.getEvent().toStringUtf8().contains("\"unlucky\""))
          .map(entry -> DaprProtos.BulkPublishResponseFailedEntry.newBuilder()
              .setEntryId(entry.getEntryId()).setError("XADD failed").build())
          .toList();
      reply.onNext(DaprProtos.BulkPublishResponse.newBuilder().addAllFailedEntries(failed).build());
      reply.onCompleted();
    });
    var first = follow("first");
    awaitTheFirstCall();
    // Both in one bulk call, so that the call's partial failure is what tells them apart.
    var unlucky = follow("unlucky");
    var lucky = follow("lucky");
    awaitWaiting(2);
    releaseFirstCall.countDown();

    assertThat(unlucky.get(5, TimeUnit.SECONDS)).isEqualTo(503);
    assertThat(lucky.get(5, TimeUnit.SECONDS)).isEqualTo(202);
    assertThat(first.get(5, TimeUnit.SECONDS)).isEqualTo(202);
    assertThat(received).hasSize(2);
    assertThat(received.get(1).getEntriesList()).hasSize(2);
  }

  /**
   * The stub sidecar holds its first bulk call unanswered until the returned latch is counted down, then answers
   * it, and every later call at once, as {@code then} does.
   */
  private CountDownLatch holdTheFirstCall(
      BiConsumer<DaprProtos.BulkPublishRequest, StreamObserver<DaprProtos.BulkPublishResponse>> then) {
    var release = new CountDownLatch(1);
    behaviour = (request, reply) -> {
      if (received.size() == 1) {
        CompletableFuture.runAsync(() -> {
          await(release);
          then.accept(request, reply);
        });
      } else {
        then.accept(request, reply);
      }
    };
    return release;
  }

  private static void awaitTheFirstCall() {
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> received.size() == 1);
  }

  /** Until that many follows wait in the facade for a bulk call, behind the one held. */
  private void awaitWaiting(int events) {
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> publisher.waiting() == events);
  }

  @Test
  void answersServiceUnavailableWhenTheSidecarRefusesThePublish() {
    behaviour = (request, reply) ->
        reply.onError(Status.UNAVAILABLE.withDescription("redis: connection refused").asException());

    assertServiceUnavailable();
    assertThat(received).hasSize(1);
  }

  @Test
  void answersServiceUnavailableWhenTheBrokerFailsThePublish() {
    behaviour = (request, reply) ->
        reply.onError(Status.INTERNAL.withDescription("error when publish to topic").asException());

    assertServiceUnavailable();
  }

  @Test
  void answersServiceUnavailableWhenTheSidecarStalls() {
    var deadline = new AtomicReference<Duration>();
    behaviour = (request, reply) -> // never answers: only the call's deadline ends it
        deadline.set(Duration.ofNanos(Context.current().getDeadline().timeRemaining(TimeUnit.NANOSECONDS)));

    assertServiceUnavailable();
    assertThat(deadline.get()).as("the call's deadline: the publish timeout, dapr.sidecar.timeout=2s")
        .isPositive().isLessThanOrEqualTo(Duration.ofSeconds(2));
  }

  @Test
  void opensItsGrpcConnectionToTheSidecarAtStartupNotOnTheFirstFollow() {
    // The context started before any test ran; no follow has been posted in this test.
    assertThat(metadataCalls.get()).isEqualTo(1);
  }

  @Test
  void rejectsAContentTypeThatIsNotEvenAMediaType() throws Exception {
    // WebTestClient refuses to send such headers, so this one goes over a plain HTTP connection.
    for (String contentType : List.of("not a media type", "application/json; charset=no-such-charset", "/", "\"/!")) {
      var response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/followers"))
          .header("Content-Type", contentType)
          .POST(HttpRequest.BodyPublishers.ofString("{\"userId\": \"alice\", \"followerId\": \"bob\"}"))
          .build(), HttpResponse.BodyHandlers.ofString());

      assertThat(response.statusCode()).as(contentType).isEqualTo(415);
      assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    }
    assertThat(received).isEmpty();
  }

  @Test
  void answersARequestWhoseBodyStallsWith408AndClosesItsConnection() throws IOException {
    try (var socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(("POST /followers HTTP/1.1\r\nHost: 127.0.0.1\r\n"
          + "Content-Type: application/json\r\nContent-Length: 40\r\n\r\n{\"userId\": ")
          .getBytes(StandardCharsets.US_ASCII));
      // And nothing more: the connection (one of fanout.server.max-connections) is not held for good.
      String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);

      assertThat(answer).startsWith("HTTP/1.1 408").containsIgnoringCase("content-type: application/problem+json");
    }
    assertThat(received).isEmpty();
  }

  @Test
  void publishesNothingForABodyWhoseChunkedFramingBreaksAfterAWholeFollow() throws IOException {
    String follow = "{\"userId\": \"alice\", \"followerId\": \"bob\"}";
    try (var socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      // A whole follow in the first chunk, then a chunk size that is no number: the body is not what arrived.
      socket.getOutputStream().write(("POST /followers HTTP/1.1\r\nHost: 127.0.0.1\r\n"
          + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
          + Integer.toHexString(follow.length()) + "\r\n" + follow + "\r\nzz\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);

      // Refused by Reactor Netty before the app's code, in the app's own error format all the same.
      assertThat(answer).startsWith("HTTP/1.1 400").contains("content-type: application/problem+json")
          .contains("\"detail\":\"The request is not valid HTTP/1.1: ");
    }
    Awaitility.await("no publish").during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3))
        .until(received::isEmpty);
  }

  @Test
  void isReadyOnlyWhileItsSidecarIsHealthy() {
    sidecarHttp.stubFor(get("/v1.0/healthz").willReturn(aResponse().withStatus(204)));
    client.get().uri("/actuator/health/readiness").exchange()
        .expectStatus().isOk()
        .expectBody().jsonPath("$.components.sidecar.status").isEqualTo("UP");

    sidecarHttp.stubFor(get("/v1.0/healthz").willReturn(aResponse().withStatus(500)));
    client.get().uri("/actuator/health/readiness").exchange()
        .expectStatus().isEqualTo(HttpStatus.SERVICE_UNAVAILABLE)
        .expectBody().jsonPath("$.components.sidecar.status").isEqualTo("DOWN");

    // Liveness must not follow the sidecar: restarting the app would not heal daprd.
    client.get().uri("/actuator/health/liveness").exchange().expectStatus().isOk();
  }

  private void assertServiceUnavailable() {
    client.post().uri("/followers").contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"userId\": \"alice\", \"followerId\": \"bob\"}")
        .exchange()
        .expectStatus().isEqualTo(HttpStatus.SERVICE_UNAVAILABLE)
        .expectHeader().valueEquals("Retry-After", "2")
        .expectHeader().contentType("application/problem+json")
        .expectBody()
        .jsonPath("$.status").isEqualTo(503)
        .jsonPath("$.eventId").doesNotExist();
  }

  /** POST /followers over a real connection; completes with the status. */
  private CompletableFuture<Integer> follow(String follower) {
    var request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/followers"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"userId\": \"alice\", \"followerId\": \"" + follower + "\"}"))
        .build();
    return http.sendAsync(request, HttpResponse.BodyHandlers.discarding()).thenApply(HttpResponse::statusCode);
  }

  private static void allStored(StreamObserver<DaprProtos.BulkPublishResponse> reply) {
    reply.onNext(DaprProtos.BulkPublishResponse.getDefaultInstance());
    reply.onCompleted();
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static Server startSidecar() {
    try {
      return Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
          .addService(new DaprGrpc.DaprImplBase() {
            @Override
            public void bulkPublishEventAlpha1(DaprProtos.BulkPublishRequest request,
                StreamObserver<DaprProtos.BulkPublishResponse> reply) {
              received.add(request);
              behaviour.accept(request, reply);
            }

            @Override
            public void getMetadata(DaprProtos.GetMetadataRequest request,
                StreamObserver<DaprProtos.GetMetadataResponse> reply) {
              metadataCalls.incrementAndGet();
              reply.onNext(DaprProtos.GetMetadataResponse.getDefaultInstance());
              reply.onCompleted();
            }
          })
          .build()
          .start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot start the stub sidecar", e);
    }
  }
}
