package dev.fanout.platform.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;
import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.http.server.reactive.MockServerHttpResponse;
import reactor.core.publisher.Mono;

class UnparseableMediaTypeGuardTest {

  private final AtomicReference<HttpHeaders> seen = new AtomicReference<>();
  private final HttpHandler app = new UnparseableMediaTypeGuard().apply((request, response) -> {
    seen.set(request.getHeaders());
    return Mono.empty();
  });

  @Test
  void replacesAContentTypeThatBreaksSpringsParserWithOneThatFailsTheOrdinaryWay() {
    handle(HttpHeaders.CONTENT_TYPE, "\"/!");

    assertThat(seen.get().get(HttpHeaders.CONTENT_TYPE)).containsExactly(UnparseableMediaTypeGuard.UNPARSEABLE);
  }

  @Test
  void replacesAnAcceptThatBreaksSpringsParserWithOneThatFailsTheOrdinaryWay() {
    handle(HttpHeaders.ACCEPT, "application/json", "\"/!");

    assertThat(seen.get().get(HttpHeaders.ACCEPT)).containsExactly(UnparseableMediaTypeGuard.UNPARSEABLE);
  }

  @Test
  void leavesValidAndOrdinarilyInvalidValuesAlone() {
    for (String header : new String[] {HttpHeaders.CONTENT_TYPE, HttpHeaders.ACCEPT}) {
      for (String value : new String[] {"application/json", "not a media type", "text/plain; charset=nope", "/"}) {
        handle(header, value);

        assertThat(seen.get().get(header)).containsExactly(value);
      }
    }
  }

  @Test
  void passesARequestWithoutEitherHeaderAsItIs() {
    var request = MockServerHttpRequest.get("/followers").build();
    app.handle(request, new MockServerHttpResponse()).block();

    assertThat(seen.get()).isSameAs(request.getHeaders());
  }

  private void handle(String header, String... values) {
    var request = MockServerHttpRequest.post("/followers").header(header, values).build();
    app.handle(request, new MockServerHttpResponse()).block();
  }
}
