package dev.fanout.platform.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;
import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.http.server.reactive.MockServerHttpResponse;
import reactor.core.publisher.Mono;

class UnparseableContentTypeGuardTest {

  private final AtomicReference<String> seen = new AtomicReference<>();
  private final HttpHandler app = new UnparseableContentTypeGuard().apply((request, response) -> {
    seen.set(request.getHeaders().getFirst(HttpHeaders.CONTENT_TYPE));
    return Mono.empty();
  });

  @Test
  void replacesAValueThatBreaksSpringsParserWithOneThatFailsTheOrdinaryWay() {
    handle("\"/!");

    assertThat(seen.get()).isEqualTo(UnparseableContentTypeGuard.UNPARSEABLE);
  }

  @Test
  void leavesValidAndOrdinarilyInvalidValuesAlone() {
    for (String contentType : new String[] {"application/json", "not a media type", "text/plain; charset=nope", "/"}) {
      handle(contentType);

      assertThat(seen.get()).isEqualTo(contentType);
    }
  }

  private void handle(String contentType) {
    var request = MockServerHttpRequest.post("/followers").header(HttpHeaders.CONTENT_TYPE, contentType).build();
    app.handle(request, new MockServerHttpResponse()).block();
  }
}
