package dev.fanout.push;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import dev.fanout.subscriber.DaprDelivery;
import dev.fanout.subscriber.InMemoryStateStore;
import dev.fanout.subscriber.RunningSubscriber;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

/** A gateway that accepts, but only after fanout.push.timeout: the event must be redelivered, not awaited. */
@RunningSubscriber
@Import(InMemoryStateStore.Beans.class)
class HttpPushGatewayTimeoutTest {

  private static final String PUSH_PATH = "/v1/push";

  @RegisterExtension
  static WireMockExtension gateway = WireMockExtension.newInstance().options(wireMockConfig().dynamicPort()).build();

  @DynamicPropertySource
  static void pointAtTheGateway(DynamicPropertyRegistry registry) {
    registry.add("fanout.push.gateway-url", () -> gateway.baseUrl() + PUSH_PATH);
    registry.add("fanout.push.timeout", () -> "1s");
  }

  @BeforeAll
  static void warmUp() throws Exception {
    // The first OkHttp call of a JVM (class loading, resolving localhost) and WireMock's first answer can take
    // most of a 1s budget on a busy machine; without this the request might never reach the gateway in time.
    var request = new Request.Builder().url(gateway.baseUrl() + "/warm-up").build();
    try (Response response = new OkHttpClient().newCall(request).execute()) {
      assertThat(response.code()).isEqualTo(404);
    }
  }

  @Autowired
  WebTestClient client;

  @Test
  void answersRetryWhenTheGatewayIsSlowerThanTheTimeout() {
    gateway.stubFor(post(PUSH_PATH).willReturn(aResponse().withStatus(200).withFixedDelay(10_000)));

    // SUCCESS here would mean the call timeout was not applied and the delayed 200 was awaited.
    DaprDelivery.deliver(client, "evt-slow").answers("RETRY");

    gateway.verify(1, postRequestedFor(urlEqualTo(PUSH_PATH)).withHeader("Idempotency-Key", equalTo("evt-slow")));
  }
}
