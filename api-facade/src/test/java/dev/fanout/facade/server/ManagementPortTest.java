package dev.fanout.facade.server;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The facade as compose runs it: the actuator on a port of its own, on loopback (MANAGEMENT_SERVER_PORT and
 * MANAGEMENT_SERVER_ADDRESS in docker-compose.yml), where the container's healthcheck asks for readiness. Every
 * other run has one port, so only this test starts the second server.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"management.server.port=0", "management.server.address=127.0.0.1"})
class ManagementPortTest {

  @RegisterExtension
  static WireMockExtension sidecarHttp = WireMockExtension.newInstance().options(wireMockConfig().dynamicPort()).build();

  @DynamicPropertySource
  static void sidecarPort(DynamicPropertyRegistry registry) {
    registry.add("dapr.sidecar.http-port", sidecarHttp::getPort);
  }

  @LocalServerPort
  int port;

  @LocalManagementPort
  int managementPort;

  final HttpClient http = HttpClient.newHttpClient();

  @Test
  void answersReadinessOnTheManagementPortAndNotOnTheFollowsOne() throws Exception {
    sidecarHttp.stubFor(get("/v1.0/healthz").willReturn(aResponse().withStatus(204)));

    var ready = ask(managementPort, "/actuator/health/readiness");
    assertThat(ready.statusCode()).isEqualTo(200);
    assertThat(ready.body()).contains("\"status\":\"UP\"");

    var onTheFollowsPort = ask(port, "/actuator/health/readiness");
    assertThat(onTheFollowsPort.statusCode()).isEqualTo(404);
    assertThat(onTheFollowsPort.headers().firstValue("Content-Type")).hasValue("application/problem+json");
  }

  private HttpResponse<String> ask(int port, String path) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
