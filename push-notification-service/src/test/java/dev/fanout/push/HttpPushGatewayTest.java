package dev.fanout.push;

import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import dev.fanout.subscriber.DaprDelivery;
import dev.fanout.subscriber.InMemoryStateStore;
import dev.fanout.subscriber.RunningSubscriber;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * The push service in front of a push gateway that answers every way a real one can, as daprd would see it:
 * the status for each delivery, and what reached the gateway.
 */
@RunningSubscriber
@Import(InMemoryStateStore.Beans.class)
class HttpPushGatewayTest {

  private static final String PUSH_PATH = "/v1/push";

  @RegisterExtension
  static WireMockExtension gateway = WireMockExtension.newInstance().options(wireMockConfig().dynamicPort()).build();

  @DynamicPropertySource
  static void pointAtTheGateway(DynamicPropertyRegistry registry) {
    registry.add("fanout.push.gateway-url", () -> gateway.baseUrl() + PUSH_PATH);
    // Far above what a local stub needs even on a loaded machine: every answer here is the gateway's own, never a
    // timeout (HttpPushGatewayTimeoutTest covers that).
    registry.add("fanout.push.timeout", () -> "5s");
  }

  @Autowired
  WebTestClient client;

  @Autowired
  PushGateway pushGateway;

  @Autowired
  InMemoryStateStore stateStore;

  @ParameterizedTest(name = "gateway answers {0}")
  @ValueSource(ints = {200, 202})
  void answersSuccessAndPostsTheNotificationWhenTheGatewayAccepts(int status) {
    gateway.stubFor(post(PUSH_PATH).willReturn(aResponse().withStatus(status)));

    deliver("evt-accepted-" + status).answers("SUCCESS");

    assertThat(pushGateway).isInstanceOf(HttpPushGateway.class);
    gateway.verify(1, postRequestedFor(urlEqualTo(PUSH_PATH))
        .withHeader("Idempotency-Key", equalTo("evt-accepted-" + status))
        .withHeader("Content-Type", containing("application/json"))
        .withRequestBody(equalToJson("""
            {"userId": "alice", "title": "New follower", "body": "bob started following you",
             "eventId": "evt-accepted-%d"}""".formatted(status))));
  }

  @ParameterizedTest(name = "gateway answers {0}")
  @ValueSource(ints = {500, 503, 429, 409})
  void answersRetryWhenTheGatewayFailsTransiently(int status) {
    gateway.stubFor(post(PUSH_PATH).willReturn(aResponse().withStatus(status)));

    deliver("evt-transient-" + status).answers("RETRY");

    gateway.verify(1, postRequestedFor(urlEqualTo(PUSH_PATH))
        .withHeader("Idempotency-Key", equalTo("evt-transient-" + status)));
  }

  @ParameterizedTest(name = "gateway answers {0}")
  @ValueSource(ints = {301, 302, 307})
  void answersRetryAndFollowsNoRedirectOfTheGateway(int status) {
    gateway.stubFor(post(PUSH_PATH).willReturn(aResponse().withStatus(status).withHeader("Location", "/moved")));
    gateway.stubFor(any(urlEqualTo("/moved")).willReturn(aResponse().withStatus(200)));

    deliver("evt-redirected-" + status).answers("RETRY");
    assertThat(stateStore.contains("dropped|evt-redirected-" + status)).as("kept, not dropped").isFalse();

    gateway.verify(0, anyRequestedFor(urlEqualTo("/moved")));
  }

  @Test
  void answersRetryWhenTheGatewayTimesOutTheRequest() {
    gateway.stubFor(post(PUSH_PATH).willReturn(aResponse().withStatus(408)));

    deliver("evt-transient-408").answers("RETRY");
    assertThat(stateStore.contains("dropped|evt-transient-408")).as("tried again, not dropped").isFalse();

    // Once: OkHttp's own re-send of a 408 is off, so every retry is daprd's, bounded by the retry budget.
    gateway.verify(1, postRequestedFor(urlEqualTo(PUSH_PATH))
        .withHeader("Idempotency-Key", equalTo("evt-transient-408")));
  }

  @ParameterizedTest(name = "gateway answers {0}")
  @ValueSource(ints = {401, 403, 404, 405, 415})
  void answersRetryWhenTheGatewayRefusesUsRatherThanTheNotification(int status) {
    // A wrong URL or an expired credential: dropping would lose every notification until the configuration is fixed.
    gateway.stubFor(post(PUSH_PATH).willReturn(aResponse().withStatus(status)));

    deliver("evt-misconfigured-" + status).answers("RETRY");
    assertThat(stateStore.contains("dropped|evt-misconfigured-" + status)).as("kept, not dropped").isFalse();
  }

  @ParameterizedTest(name = "gateway answers {0}")
  @ValueSource(ints = {400, 410, 422})
  void dropsTheEventWhenTheGatewayRejectsTheNotification(int status) {
    gateway.stubFor(post(PUSH_PATH).willReturn(aResponse().withStatus(status).withBody("unknown user")));

    // Recorded as dropped and answered RETRY, so that daprd dead-letters it (FollowerAddedSubscription).
    deliver("evt-rejected-" + status).answers("RETRY");
    assertThat(stateStore.contains("dropped|evt-rejected-" + status)).isTrue();

    gateway.verify(1, postRequestedFor(urlEqualTo(PUSH_PATH))
        .withHeader("Idempotency-Key", equalTo("evt-rejected-" + status)));
  }

  @Test
  void answersRetryWhenTheGatewayResetsTheConnection() {
    gateway.stubFor(post(PUSH_PATH).willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));

    deliver("evt-reset").answers("RETRY");

    // Once: OkHttp does not silently re-send the POST on a new connection; daprd redelivers the event instead.
    gateway.verify(1, postRequestedFor(urlEqualTo(PUSH_PATH))
        .withHeader("Idempotency-Key", equalTo("evt-reset")));
  }

  @Test
  void pushesOnceForAnEventDeliveredTwice() {
    gateway.stubFor(post(PUSH_PATH).willReturn(aResponse().withStatus(200)));

    deliver("evt-twice").answers("SUCCESS");
    deliver("evt-twice").answers("SUCCESS");

    gateway.verify(1, postRequestedFor(urlEqualTo(PUSH_PATH)).withHeader("Idempotency-Key", equalTo("evt-twice")));
  }

  @Test
  void pushesAgainWhenAnEventIsRedeliveredAfterAFailure() {
    gateway.stubFor(post(PUSH_PATH).willReturn(aResponse().withStatus(503)));
    deliver("evt-again").answers("RETRY");

    gateway.stubFor(post(PUSH_PATH).willReturn(aResponse().withStatus(200)));
    deliver("evt-again").answers("SUCCESS");

    // Both attempts carry the same key, so that a gateway which did act on the first can tell.
    gateway.verify(2, postRequestedFor(urlEqualTo(PUSH_PATH)).withHeader("Idempotency-Key", equalTo("evt-again")));
  }

  private DaprDelivery.Answer deliver(String id) {
    return DaprDelivery.deliver(client, id);
  }
}
