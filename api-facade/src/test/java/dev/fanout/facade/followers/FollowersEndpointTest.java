package dev.fanout.facade.followers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.argThat;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.BDDMockito.given;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;

import dev.fanout.platform.trace.TraceContext;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.mockito.ArgumentCaptor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.web.reactive.WebFluxTest;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Import;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.test.context.bean.override.mockito.MockitoBean;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Every way a client can get {@code POST /followers} wrong: a problem-details answer with the right status, and
 * nothing published. The publisher is a mock here; FollowerEventPublisherTest covers the real publish path.
 */
@WebFluxTest
@Import({FollowersEndpoint.class, FollowRequestReader.class})
@EnableConfigurationProperties(FollowersProperties.class)
class FollowersEndpointTest {

  private static final String PROBLEM_JSON = "application/problem+json";

  @Autowired
  WebTestClient client;

  @MockitoBean
  FollowerEventPublisher publisher;

  @Test
  void acceptsAJsonFollowAndAnswersWithTheEventId() {
    given(publisher.publish(any(), any(), any())).willReturn(Mono.just("event-1"));

    client.post().uri("/followers").contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"userId\": \"alice\", \"followerId\": \"bob\"}")
        .exchange()
        .expectStatus().isAccepted()
        .expectBody().json("{\"eventId\": \"event-1\"}", true);

    verify(publisher).publish(eq(new FollowRequest("alice", "bob")), any(), any());
  }

  @Test
  void takesIdsInAnyNormalFormAndPublishesThemComposed() {
    given(publisher.publish(any(), any(), any())).willReturn(Mono.just("event-1"));

    // "José" typed as an "e" and a combining acute accent (NFD, as macOS sends it), and "हिन्दी", whose vowel
    // signs and virama are combining marks in any form.
    client.post().uri("/followers").contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"userId\": \"Jose\u0301\", \"followerId\": \"\u0939\u093F\u0928\u094D\u0926\u0940\"}")
        .exchange()
        .expectStatus().isAccepted();

    var published = ArgumentCaptor.forClass(FollowRequest.class);
    verify(publisher).publish(published.capture(), any(), any());
    assertThat(published.getValue().userId()).isEqualTo("Jos\u00E9");
    assertThat(published.getValue().followerId()).isEqualTo("\u0939\u093F\u0928\u094D\u0926\u0940");
  }

  @Test
  @ExtendWith(OutputCaptureExtension.class)
  void namesTheEventInTheRequestsOneAccessLogLine(CapturedOutput output) {
    given(publisher.publish(any(), any(), any())).willReturn(Mono.just("event-7"));

    String traceId = "1bf92f3577b34da6a3ce929d0e0e4737";
    client.post().uri("/followers").header(TraceContext.HEADER, "00-" + traceId + "-b7ad6b7169203331-01")
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"userId\": \"alice\", \"followerId\": \"bob\"}")
        .exchange()
        .expectStatus().isAccepted();

    // Written as the exchange completes, which may be just after the client has its answer; and the console writer
    // may bring an earlier test's line into this capture, hence the trace id.
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(output.getOut().lines()
        .filter(line -> line.contains(" access ") && line.contains("trace=" + traceId)))
        .singleElement().asString().contains("POST /followers 202").contains("event=event-7"));
  }

  @Test
  void acceptsAFormEncodedFollowAsTheOriginalSystemSentIt() {
    given(publisher.publish(any(), any(), any())).willReturn(Mono.just("event-2"));

    client.post().uri("/followers").contentType(MediaType.APPLICATION_FORM_URLENCODED)
        .bodyValue("userId=alice&followerId=b%C3%B8b.smith")
        .exchange()
        .expectStatus().isAccepted()
        .expectBody().jsonPath("$.eventId").isEqualTo("event-2");

    verify(publisher).publish(eq(new FollowRequest("alice", "bøb.smith")), any(), any());
  }

  @Test
  void continuesTheCallersTraceWhenItSendsATraceparent() {
    given(publisher.publish(any(), any(), any())).willReturn(Mono.just("event-3"));
    String traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    client.post().uri("/followers").header(TraceContext.HEADER, traceparent)
        .contentType(MediaType.APPLICATION_JSON).bodyValue("{\"userId\": \"alice\", \"followerId\": \"bob\"}")
        .exchange()
        .expectStatus().isAccepted();

    verify(publisher).publish(any(),
        argThat(trace -> trace.traceId().equals("0af7651916cd43dd8448eb211c80319c")), any());
  }

  @Test
  void aRetryWithTheSameIdempotencyKeyPublishesTheSameEventId() {
    given(publisher.publish(any(), any(), any())).willReturn(Mono.just("event-4"));

    follow("{\"userId\": \"alice\", \"followerId\": \"bob\"}", "\"8e03978e-40d5\"");
    follow("{\"userId\": \"alice\", \"followerId\": \"bob\"}", "8e03978e-40d5"); // bare, as many clients send it
    follow("{\"userId\": \"alice\", \"followerId\": \"bob\"}", "\"8e03978e-40d5\";v=1"); // with parameters
    follow("{\"userId\": \"alice\", \"followerId\": \"carol\"}", "8e03978e-40d5"); // the key reused: another event
    follow("{\"userId\": \"alice\", \"followerId\": \"bob\"}", null);
    follow("{\"userId\": \"alice\", \"followerId\": \"bob\"}", null);

    var eventIds = ArgumentCaptor.forClass(String.class);
    verify(publisher, times(6)).publish(any(), any(), eventIds.capture());
    var ids = eventIds.getAllValues();
    assertThat(ids.get(1)).as("the retry's").isEqualTo(ids.get(0));
    assertThat(ids.get(2)).as("the retry's, the key with parameters").isEqualTo(ids.get(0));
    assertThat(ids.get(3)).as("another follow's under the same key").isNotEqualTo(ids.get(0));
    assertThat(ids.get(4)).as("without a key, a fresh id for each request").isNotEqualTo(ids.get(5))
        .isNotEqualTo(ids.get(0));
    assertThat(ids).allSatisfy(id ->
        assertThat(id).matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"));
  }

  private void follow(String body, String idempotencyKey) {
    client.post().uri("/followers").contentType(MediaType.APPLICATION_JSON)
        .headers(headers -> {
          if (idempotencyKey != null) {
            headers.set(IdempotencyKey.HEADER, idempotencyKey);
          }
        })
        .bodyValue(body)
        .exchange()
        .expectStatus().isAccepted();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformedIdempotencyKeys")
  void rejectsAMalformedIdempotencyKeyAndPublishesNothing(String description, List<String> values) {
    client.post().uri("/followers").contentType(MediaType.APPLICATION_JSON)
        .headers(headers -> headers.put(IdempotencyKey.HEADER, values))
        .bodyValue("{\"userId\": \"alice\", \"followerId\": \"bob\"}")
        .exchange()
        .expectStatus().isBadRequest()
        .expectHeader().contentType(PROBLEM_JSON)
        .expectBody()
        .jsonPath("$.title").isEqualTo("Invalid Idempotency-Key");

    verifyNoInteractions(publisher);
  }

  static Stream<Arguments> malformedIdempotencyKeys() {
    return Stream.of(
        Arguments.of("empty", List.of("")),
        Arguments.of("an empty string", List.of("\"\"")),
        Arguments.of("too long", List.of("k".repeat(IdempotencyKey.MAX_LENGTH + 1))),
        Arguments.of("an unterminated string", List.of("\"8e03978e")),
        Arguments.of("a quote inside a string", List.of("\"8e03\"978e\"")),
        Arguments.of("a quote in a bare key", List.of("8e03\"978e")),
        Arguments.of("an unknown escape", List.of("\"8e03\\n978e\"")),
        Arguments.of("two of them", List.of("first", "second")));
  }

  @Test
  void rejectsABareRequestWithTheExpectedBodyInTheDetail() {
    client.post().uri("/followers")
        .exchange()
        .expectStatus().isBadRequest()
        .expectHeader().contentType(PROBLEM_JSON)
        .expectBody()
        .jsonPath("$.status").isEqualTo(400)
        .jsonPath("$.detail").value(detail -> assertThat((String) detail)
            .contains("missing").contains("{\"userId\": \"alice\", \"followerId\": \"bob\"}"))
        .jsonPath("$.instance").isEqualTo("/followers")
        .jsonPath("$.traceId").isNotEmpty();

    verifyNoInteractions(publisher);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"{\"userId\": \"alice\",", "not json", "[\"alice\", \"bob\"]", "\"alice\"", "null",
      "{\"userId\": \"alice\", \"followerId\": \"bob\"} trailing"})
  void rejectsABodyThatIsNotAJsonObject(String body) {
    client.post().uri("/followers").contentType(MediaType.APPLICATION_JSON).bodyValue(body)
        .exchange()
        .expectStatus().isBadRequest()
        .expectHeader().contentType(PROBLEM_JSON)
        .expectBody()
        .jsonPath("$.title").isEqualTo("Malformed request body")
        .jsonPath("$.detail").value(detail -> assertThat((String) detail)
            .contains("Expected: {\"userId\""));

    verifyNoInteractions(publisher);
  }

  static Stream<Arguments> invalidFields() {
    String tooLong = "a".repeat(FollowRequest.MAX_ID_LENGTH + 1);
    return Stream.of(
        Arguments.of("{\"userId\": \"alice\"}", "followerId", "must not be blank"),
        Arguments.of("{\"followerId\": \"bob\"}", "userId", "must not be blank"),
        Arguments.of("{\"userId\": \"  \", \"followerId\": \"bob\"}", "userId", "must not be blank"),
        // Blank is ASCII spaces and controls only: other white space is not blank, but no id either.
        Arguments.of("{\"userId\": \"\u2003\", \"followerId\": \"bob\"}", "userId", "must start with"),
        Arguments.of("{\"userId\": \"alice\", \"followerId\": null}", "followerId", "must not be blank"),
        Arguments.of("{\"userId\": \"" + tooLong + "\", \"followerId\": \"bob\"}", "userId", "size must be"),
        Arguments.of("{\"userId\": \"alice\", \"followerId\": \"bob<script>\"}", "followerId", "must start with"),
        Arguments.of("{\"userId\": \"-alice\", \"followerId\": \"bob\"}", "userId", "must start with"),
        Arguments.of("{\"userId\": \"\u0301alice\", \"followerId\": \"bob\"}", "userId", "must start with"),
        Arguments.of("{\"userId\": \"alice\", \"followerId\": \"bob\\u0000\"}", "followerId", "must start with"),
        Arguments.of("{\"userId\": 42, \"followerId\": \"bob\"}", "userId", "must be a string"),
        Arguments.of("{\"userId\": \"alice\", \"followerId\": {\"id\": \"bob\"}}", "followerId", "must be a string"),
        Arguments.of("{\"userId\": \"alice\", \"followerId\": \"alice\"}", "followerId", "cannot follow themselves"),
        // The same name, composed and not: one user.
        Arguments.of("{\"userId\": \"Jos\u00E9\", \"followerId\": \"Jose\u0301\"}", "followerId",
            "cannot follow themselves"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidFields")
  void rejectsAnInvalidFieldNamingIt(String body, String field, String message) {
    client.post().uri("/followers").contentType(MediaType.APPLICATION_JSON).bodyValue(body)
        .exchange()
        .expectStatus().isBadRequest()
        .expectHeader().contentType(PROBLEM_JSON)
        .expectBody()
        .jsonPath("$.title").isEqualTo("Invalid fields")
        .jsonPath("$.errors[0].field").isEqualTo(field)
        .jsonPath("$.errors[0].message").value(m -> assertThat((String) m)
            .contains(message))
        .jsonPath("$.detail").value(d -> assertThat((String) d).contains(field));

    verifyNoInteractions(publisher);
  }

  @Test
  void namesEveryInvalidFieldOfAForm() {
    client.post().uri("/followers").contentType(MediaType.APPLICATION_FORM_URLENCODED).bodyValue("userId=&other=x")
        .exchange()
        .expectStatus().isBadRequest()
        .expectBody()
        .jsonPath("$.errors[*].field").isEqualTo(List.of("followerId", "userId"));

    verifyNoInteractions(publisher);
  }

  @Test
  void rejectsAFormWithBrokenUrlEncoding() {
    client.post().uri("/followers").contentType(MediaType.APPLICATION_FORM_URLENCODED)
        .bodyValue("userId=%E0%A4&followerId=%zz")
        .exchange()
        .expectStatus().isBadRequest()
        .expectHeader().contentType(PROBLEM_JSON);

    verifyNoInteractions(publisher);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("fieldsNamedTwice")
  void rejectsABodyThatNamesAFieldTwiceWhicheverValueAParserWouldTake(MediaType type, String body, String detail) {
    client.post().uri("/followers").contentType(type).bodyValue(body)
        .exchange()
        .expectStatus().isBadRequest()
        .expectHeader().contentType(PROBLEM_JSON)
        .expectBody()
        .jsonPath("$.title").isEqualTo("Malformed request body")
        .jsonPath("$.detail").value(found -> assertThat((String) found).startsWith(detail));

    verifyNoInteractions(publisher);
  }

  static Stream<Arguments> fieldsNamedTwice() {
    return Stream.of(
        Arguments.of(MediaType.APPLICATION_JSON,
            "{\"userId\": \"mallory\", \"userId\": \"alice\", \"followerId\": \"bob\"}",
            "The body names a field twice."),
        Arguments.of(MediaType.APPLICATION_FORM_URLENCODED, "userId=mallory&followerId=bob&userId=alice",
            "The form names userId twice."));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"gzip", "br", "identity, gzip"})
  void rejectsAnEncodedBodyNamingTheEncodingsItTakes(String encoding) {
    client.post().uri("/followers").contentType(MediaType.APPLICATION_JSON).header("Content-Encoding", encoding)
        .bodyValue("{\"userId\": \"alice\", \"followerId\": \"bob\"}")
        .exchange()
        .expectStatus().isEqualTo(HttpStatus.UNSUPPORTED_MEDIA_TYPE)
        .expectHeader().contentType(PROBLEM_JSON)
        .expectHeader().valueEquals("Accept-Encoding", "identity")
        .expectBody()
        .jsonPath("$.title").isEqualTo("Unsupported content encoding");

    verifyNoInteractions(publisher);
  }

  @Test
  void acceptsABodyDeclaredUnencoded() {
    given(publisher.publish(any(), any(), any())).willReturn(Mono.just("event-5"));

    client.post().uri("/followers").contentType(MediaType.APPLICATION_JSON).header("Content-Encoding", "identity")
        .bodyValue("{\"userId\": \"alice\", \"followerId\": \"bob\"}")
        .exchange()
        .expectStatus().isAccepted();
  }

  @Test
  void rejectsJsonDeclaredInACharsetOtherThanUnicodeRatherThanMisreadIt() {
    byte[] latin1 = "{\"userId\": \"bj\u00f6rn\", \"followerId\": \"bob\"}".getBytes(StandardCharsets.ISO_8859_1);

    client.post().uri("/followers").header("Content-Type", "application/json; charset=ISO-8859-1").bodyValue(latin1)
        .exchange()
        .expectStatus().isEqualTo(HttpStatus.UNSUPPORTED_MEDIA_TYPE)
        .expectHeader().contentType(PROBLEM_JSON);

    verifyNoInteractions(publisher);
  }

  @Test
  void acceptsJsonDeclaredInUtf16() {
    given(publisher.publish(any(), any(), any())).willReturn(Mono.just("event-16"));

    client.post().uri("/followers").header("Content-Type", "application/json; charset=UTF-16")
        .bodyValue("{\"userId\": \"alice\", \"followerId\": \"bob\"}".getBytes(StandardCharsets.UTF_16))
        .exchange()
        .expectStatus().isAccepted();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"text/plain", "application/xml", "multipart/form-data; boundary=x"})
  void rejectsAnUnsupportedMediaType(String contentType) {
    client.post().uri("/followers").header("Content-Type", contentType).bodyValue("userId=alice&followerId=bob")
        .exchange()
        .expectStatus().isEqualTo(HttpStatus.UNSUPPORTED_MEDIA_TYPE)
        .expectHeader().contentType(PROBLEM_JSON)
        .expectHeader().valueEquals("Accept-Post", "application/json, application/x-www-form-urlencoded")
        .expectBody().jsonPath("$.status").isEqualTo(415);

    verifyNoInteractions(publisher);
  }

  @Test
  void rejectsABodyWithoutAContentType() {
    client.post().uri("/followers").bodyValue(new byte[] {'{', '}'})
        .exchange()
        .expectStatus().isEqualTo(HttpStatus.UNSUPPORTED_MEDIA_TYPE)
        .expectHeader().contentType(PROBLEM_JSON);

    verifyNoInteractions(publisher);
  }

  @Test
  void rejectsABodyOverTheLimit() {
    String padding = "x".repeat(17 * 1024);
    client.post().uri("/followers").contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"userId\": \"alice\", \"followerId\": \"bob\", \"padding\": \"" + padding + "\"}")
        .exchange()
        .expectStatus().isEqualTo(HttpStatus.PAYLOAD_TOO_LARGE)
        .expectHeader().contentType(PROBLEM_JSON)
        .expectBody().jsonPath("$.detail").value(d -> assertThat((String) d)
            .contains("16384 bytes"));

    verifyNoInteractions(publisher);
  }

  @Test
  void rejectsAStreamedBodyOverTheLimitThatDeclaresNoLength() {
    var chunks = Flux.range(0, 20).map(i -> DefaultDataBufferFactory.sharedInstance.wrap(new byte[1024]));
    client.post().uri("/followers").contentType(MediaType.APPLICATION_JSON)
        .body(chunks, DataBuffer.class)
        .exchange()
        .expectStatus().isEqualTo(HttpStatus.PAYLOAD_TOO_LARGE)
        .expectHeader().contentType(PROBLEM_JSON);

    verifyNoInteractions(publisher);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"GET", "PUT", "DELETE", "PATCH"})
  void rejectsAnotherMethodOnFollowers(String method) {
    client.method(HttpMethod.valueOf(method)).uri("/followers")
        .exchange()
        .expectStatus().isEqualTo(HttpStatus.METHOD_NOT_ALLOWED)
        .expectHeader().contentType(PROBLEM_JSON)
        .expectHeader().valueEquals("Allow", "POST,OPTIONS") // every method the resource supports (RFC 9110)
        .expectBody().jsonPath("$.status").isEqualTo(405);

    verifyNoInteractions(publisher);
  }

  @Test
  void answersOptionsWithTheAllowedMethods() {
    client.options().uri("/followers")
        .exchange()
        .expectStatus().isOk()
        .expectHeader().valueEquals("Allow", "POST,OPTIONS");

    verifyNoInteractions(publisher);
  }

  @Test
  void turnsAwayAClientThatCannotTakeJsonBeforePublishing() {
    client.post().uri("/followers").contentType(MediaType.APPLICATION_JSON).accept(MediaType.TEXT_PLAIN)
        .bodyValue("{\"userId\": \"alice\", \"followerId\": \"bob\"}")
        .exchange()
        .expectStatus().isEqualTo(HttpStatus.NOT_ACCEPTABLE)
        .expectHeader().contentType(PROBLEM_JSON)
        .expectHeader().valueEquals("Accept", "application/json")
        .expectBody().jsonPath("$.status").isEqualTo(406);

    verifyNoInteractions(publisher);
  }

  @Test
  void answersAnUnknownPathWithNotFoundProblem() {
    client.post().uri("/follower").contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"userId\": \"alice\", \"followerId\": \"bob\"}")
        .exchange()
        .expectStatus().isNotFound()
        .expectHeader().contentType(PROBLEM_JSON)
        .expectBody().jsonPath("$.status").isEqualTo(404);

    verifyNoInteractions(publisher);
  }

  @Test
  void answersServiceUnavailableWithRetryAfterWhenThePublishIsNotConfirmed() {
    given(publisher.publish(any(), any(), any()))
        .willReturn(Mono.error(new PublishFailedException(new IllegalStateException("sidecar down"))));

    client.post().uri("/followers").contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"userId\": \"alice\", \"followerId\": \"bob\"}")
        .exchange()
        .expectStatus().isEqualTo(HttpStatus.SERVICE_UNAVAILABLE)
        .expectHeader().contentType(PROBLEM_JSON)
        .expectHeader().valueEquals("Retry-After", "2")
        .expectBody()
        .jsonPath("$.status").isEqualTo(503)
        .jsonPath("$.eventId").doesNotExist();
  }
}
