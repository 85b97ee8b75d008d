package dev.fanout.facade.followers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.BDDMockito.given;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.reset;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.verifyNoMoreInteractions;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.Tuple;
import net.jqwik.api.Tuple.Tuple2;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.lifecycle.BeforeTry;
import net.jqwik.api.statistics.Statistics;
import org.mockito.ArgumentCaptor;
import org.springframework.boot.ApplicationContextFactory;
import org.springframework.boot.Banner;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.autoconfigure.json.AutoConfigureJson;
import org.springframework.boot.test.autoconfigure.web.reactive.AutoConfigureWebFlux;
import org.springframework.boot.web.reactive.context.AnnotationConfigReactiveWebApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.http.HttpMethod;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.BodyInserters;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Property-based tests of {@code POST /followers}: thousands of generated bodies, headers, content types, methods
 * and paths. Whatever a client sends, the answer is never a 5xx, every error is problem details, and nothing is
 * published unless the answer is 202.
 *
 * <p>jqwik runs properties on its own engine, without Spring's JUnit Jupiter extension, so {@code @WebFluxTest}
 * cannot inject anything here. The class starts the same slice by hand, once: the auto-configurations that
 * {@code @WebFluxTest} imports (Jackson, validation, WebFlux, Boot's error handling and, through the platform's
 * registration, its problem-details handler and access log), the real controller and reader, and a mock
 * publisher. The client is bound to that context as {@code @WebFluxTest}'s is, so every request goes through the
 * real filter chain, dispatcher and exception handlers, only without a socket.
 */
class FollowRequestFuzzTest {

  private static final int MAX_BODY_BYTES = 16 * 1024;
  private static final String EVENT_ID = "event-1";
  private static final Pattern VALID_ID = Pattern.compile(FollowRequest.ID_PATTERN);
  private static final Pattern ID_START = Pattern.compile("[\\p{L}\\p{N}]");
  private static final Pattern ID_PART = Pattern.compile("[\\p{L}\\p{M}\\p{N}._-]");
  private static final Pattern MARK = Pattern.compile("\\p{M}");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final DefaultDataBufferFactory BUFFERS = DefaultDataBufferFactory.sharedInstance;

  private static ConfigurableApplicationContext context;
  private static WebTestClient client;
  private static FollowerEventPublisher publisher;

  @Configuration(proxyBeanMethods = false)
  @AutoConfigureJson
  @AutoConfigureWebFlux
  @EnableConfigurationProperties(FollowersProperties.class)
  @Import({FollowersEndpoint.class, FollowRequestReader.class})
  static class Slice {

    @Bean
    FollowerEventPublisher followerEventPublisher() {
      return mock(FollowerEventPublisher.class);
    }
  }

  @BeforeContainer
  static void startTheSlice() {
    context = new SpringApplicationBuilder(Slice.class)
        .web(WebApplicationType.REACTIVE)
        // A reactive context without a web server, as @WebFluxTest uses.
        .contextFactory(ApplicationContextFactory.of(AnnotationConfigReactiveWebApplicationContext::new))
        .bannerMode(Banner.Mode.OFF)
        .logStartupInfo(false)
        .registerShutdownHook(false)
        // One access-log line per try would bury a failure report under thousands of lines.
        .properties("logging.level.access=OFF")
        .run();
    publisher = context.getBean(FollowerEventPublisher.class);
    client = WebTestClient.bindToApplicationContext(context).build();
  }

  @AfterContainer
  static void stopTheSlice() {
    context.close();
  }

  // Every property shrinks with ShrinkingMode.FULL: jqwik's default, bounded shrinking goes on in a thread it
  // abandons, not stops, after 10 s, and that thread would then reset and call this shared publisher in the middle
  // of the next property's tries.
  @BeforeTry
  void aFreshPublisherThatAlwaysConfirms() {
    reset(publisher);
    given(publisher.publish(any(), any(), any())).willReturn(Mono.just(EVENT_ID));
  }

  // ---------------------------------------------------------------------------------------------------------
  // 1. Anything at all

  @Property(tries = 2500, shrinking = ShrinkingMode.FULL)
  void neverAnswersAServerErrorAndPublishesOnlyWhenItAccepts(@ForAll("anyRequests") Attempt attempt) {
    var result = post(attempt);
    int status = result.getStatus().value();
    Statistics.label("status").collect(status);

    assertThat(status).as("status").isLessThan(500).isIn(202, 400, 406, 413, 415);
    // A client that cannot read the JSON answer is turned away first, before its body is even read.
    assertThat(status == 406).as("406 exactly when the Accept header rules out JSON")
        .isEqualTo(!acceptsJson(attempt));
    if (status != 406 && attempt.body().length > MAX_BODY_BYTES) {
      assertThat(status).as("status of a %d-byte body", attempt.body().length).isEqualTo(413);
    }
    if (status == 202) {
      assertThat(result.getResponseHeaders().getContentType()).isEqualTo(MediaType.APPLICATION_JSON);
      assertThat(json(result.getResponseBody()).path("eventId").asText()).isEqualTo(EVENT_ID);
      var published = ArgumentCaptor.forClass(FollowRequest.class);
      verify(publisher).publish(published.capture(), any(), any());
      verifyNoMoreInteractions(publisher);
      assertObeysTheIdRules(published.getValue());
    } else {
      assertIsProblem(result, status);
      verifyNoInteractions(publisher);
    }
  }

  /** Found by the property above: an unclosed quote broke Spring's parser before any handler ran (no answer). */
  @Example
  void answersAContentTypeWithAnUnclosedQuoteWithUnsupportedMediaType() {
    byte[] body = "{\"userId\": \"alice\", \"followerId\": \"bob\"}".getBytes(StandardCharsets.UTF_8);
    var result = post(new Attempt("\"/!", body, true, List.of(), BodyShape.JSON));

    assertIsProblem(result, 415);
    verifyNoInteractions(publisher);
  }

  /** Found by the property below: the same parser failure in Accept turned the error answer itself into a 500. */
  @Example
  void answersAnAcceptWithAnUnclosedQuoteWithNotAcceptable() {
    byte[] body = "{\"userId\": \"alice\", \"followerId\": \"bob\"}".getBytes(StandardCharsets.UTF_8);
    var result = post(new Attempt("application/json", body, true, List.of(Tuple.of("Accept", "\"/!")),
        BodyShape.JSON));

    assertIsProblem(result, 406);
    verifyNoInteractions(publisher);
  }

  // ---------------------------------------------------------------------------------------------------------
  // 2. Valid follows

  @Property(tries = 1000, shrinking = ShrinkingMode.FULL)
  void acceptsEveryValidFollowAndPublishesExactlyIt(@ForAll("validFollows") Attempt attempt,
      @ForAll("validIdPairs") Tuple2<String, String> ids) {
    // The ids are drawn separately so that a failure shrinks to the smallest pair; the attempt only says how to send.
    var result = post(attempt.withIds(ids.get1(), ids.get2()));

    assertThat(result.getStatus().value()).as("status").isEqualTo(202);
    assertThat(result.getResponseHeaders().getContentType()).isEqualTo(MediaType.APPLICATION_JSON);
    assertThat(json(result.getResponseBody()).path("eventId").asText()).isEqualTo(EVENT_ID);
    var published = ArgumentCaptor.forClass(FollowRequest.class);
    verify(publisher).publish(published.capture(), any(), any());
    verifyNoMoreInteractions(publisher);
    // As the client sent them, in Unicode's composed form (NFC).
    assertThat(published.getValue().userId()).isEqualTo(nfc(ids.get1()));
    assertThat(published.getValue().followerId()).isEqualTo(nfc(ids.get2()));
  }

  // ---------------------------------------------------------------------------------------------------------
  // 3. Follows that break exactly one rule

  @Property(tries = 1000, shrinking = ShrinkingMode.FULL)
  void rejectsAFollowThatBreaksOneRuleNamingTheField(@ForAll("brokenFollows") Broken broken,
      @ForAll boolean asForm) {
    Statistics.label("rule").collect(broken.rule());
    var fields = new LinkedHashMap<String, String>();
    fields.put("userId", broken.userId());
    fields.put("followerId", broken.followerId());
    byte[] body = asForm ? formOf(fields) : jsonOf(fields);
    var result = post(new Attempt(asForm ? "application/x-www-form-urlencoded" : "application/json", body,
        true, List.of(), null));

    assertIsProblem(result, 400);
    JsonNode problem = json(result.getResponseBody());
    assertThat(problem.path("title").asText()).isEqualTo("Invalid fields");
    assertThat(problem.path("errors")).hasSize(1);
    assertThat(problem.path("errors").path(0).path("field").asText()).isEqualTo(broken.field());
    assertThat(problem.path("errors").path(0).path("message").asText()).contains(broken.rule().message);
    verifyNoInteractions(publisher);
  }

  // ---------------------------------------------------------------------------------------------------------
  // 4. Other methods, other paths

  @Property(tries = 1000, shrinking = ShrinkingMode.FULL)
  void answersAnyOtherMethodOnFollowersWithMethodNotAllowed(@ForAll("otherMethods") HttpMethod method,
      @ForAll("anyRequests") Attempt attempt) {
    var result = send(method, URI.create("/followers"), attempt);

    assertThat(result.getResponseHeaders().getAllow()).containsExactly(HttpMethod.POST, HttpMethod.OPTIONS);
    assertIsProblem(result, 405);
    verifyNoInteractions(publisher);
  }

  @Property(tries = 1000, shrinking = ShrinkingMode.FULL)
  void answersAnyOtherPathWithNotFound(@ForAll("otherPaths") String path, @ForAll("anyMethods") HttpMethod method,
      @ForAll("anyRequests") Attempt attempt) {
    var result = send(method, URI.create(path), attempt);

    assertIsProblem(result, 404);
    verifyNoInteractions(publisher);
  }

  /** Found by the property above: the shrunk sample of a 500 where a 404 was due. */
  @Example
  void answersAnUnknownPathWithNotFoundWhateverTheAcceptHeader() {
    byte[] body = "userId=A&followerId=alice".getBytes(StandardCharsets.UTF_8);
    var result = send(HttpMethod.POST, URI.create("/follower"), new Attempt("application/x-www-form-urlencoded",
        body, true, List.of(Tuple.of("Accept", "\"/!")), BodyShape.FORM));

    assertIsProblem(result, 404);
    verifyNoInteractions(publisher);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Sending and checking

  /** How a request is sent; the body is bytes so that any Content-Type, even a malformed one, reaches the server. */
  record Attempt(String contentType, byte[] body, boolean declaresLength, List<Tuple2<String, String>> headers,
      BodyShape shape) {

    /** The same request with the ids put in; only for bodies built with {@link #ID_SLOTS}. */
    Attempt withIds(String userId, String followerId) {
      String text = new String(body, StandardCharsets.UTF_8);
      boolean form = shape == BodyShape.FORM;
      text = text.replace(ID_SLOTS[0], form ? formEncode(userId) : jsonString(userId))
          .replace(ID_SLOTS[1], form ? formEncode(followerId) : jsonString(followerId));
      return new Attempt(contentType, text.getBytes(StandardCharsets.UTF_8), declaresLength, headers, shape);
    }

    @Override
    public String toString() {
      String text = new String(body, StandardCharsets.UTF_8);
      return "Content-Type: " + contentType + ", headers " + headers + ", "
          + (declaresLength ? "Content-Length: " : "streamed, ") + body.length + " bytes: "
          + (text.length() > 300 ? text.substring(0, 300) + "…" : text);
    }
  }

  enum BodyShape { JSON, FORM, OTHER }

  /** Placeholders that {@link Attempt#withIds} replaces: characters no generated body otherwise contains. */
  private static final String[] ID_SLOTS = {"\u0001USER\u0001", "\u0001FOLLOWER\u0001"};

  private static EntityExchangeResult<byte[]> post(Attempt attempt) {
    return send(HttpMethod.POST, URI.create("/followers"), attempt);
  }

  private static EntityExchangeResult<byte[]> send(HttpMethod method, URI uri, Attempt attempt) {
    return client.method(method).uri(uri)
        .headers(headers -> {
          attempt.headers().forEach(header -> headers.add(header.get1(), header.get2()));
          if (attempt.contentType() != null) {
            headers.set("Content-Type", attempt.contentType());
          }
          if (attempt.declaresLength()) {
            headers.setContentLength(attempt.body().length);
          }
        })
        // Several chunks, as a client streaming the body would send them.
        .body(BodyInserters.fromDataBuffers(chunks(attempt.body())))
        .exchange()
        .expectBody()
        .returnResult();
  }

  private static Flux<DataBuffer> chunks(byte[] body) {
    int chunk = 4096;
    return Flux.range(0, (body.length + chunk - 1) / chunk)
        .map(i -> BUFFERS.wrap(Arrays.copyOfRange(body, i * chunk, Math.min(body.length, (i + 1) * chunk))));
  }

  private static void assertIsProblem(EntityExchangeResult<byte[]> result, int status) {
    assertThat(result.getStatus().value()).as("status").isEqualTo(status);
    assertThat(result.getResponseHeaders().getContentType()).as("Content-Type")
        .isEqualTo(MediaType.APPLICATION_PROBLEM_JSON);
    if (result.getMethod() == HttpMethod.HEAD) {
      return; // No body: the headers are all a HEAD gets.
    }
    JsonNode problem = json(result.getResponseBody());
    assertThat(problem.path("status").isInt()).as("numeric status in %s", problem).isTrue();
    assertThat(problem.path("status").intValue()).as("status in the problem").isEqualTo(status);
    assertThat(problem.path("detail").asText()).as("detail in %s", problem).isNotBlank();
    // What makes a client's report findable in the logs.
    assertThat(problem.path("traceId").asText()).as("traceId in %s", problem).isNotBlank();
  }

  /** Whether the request's Accept headers, as HTTP reads them, admit application/json (no header admits anything). */
  private static boolean acceptsJson(Attempt attempt) {
    var accept = attempt.headers().stream().filter(header -> header.get1().equals("Accept")).map(Tuple2::get2).toList();
    try {
      var acceptable = MediaType.parseMediaTypes(accept);
      return acceptable.isEmpty()
          || acceptable.stream().anyMatch(type -> type.isCompatibleWith(MediaType.APPLICATION_JSON));
    } catch (InvalidMediaTypeException | IndexOutOfBoundsException unreadable) {
      return false; // Spring's parser fails some malformed values with the latter; they are just as unreadable
    }
  }

  /** The documented rules, checked here independently of the validator the app uses. */
  private static void assertObeysTheIdRules(FollowRequest published) {
    for (String id : List.of(published.userId(), published.followerId())) {
      assertThat(id).isNotBlank().hasSizeLessThanOrEqualTo(FollowRequest.MAX_ID_LENGTH);
      assertThat(VALID_ID.matcher(id).matches()).as("%s matches %s", id, VALID_ID).isTrue();
      assertThat(Normalizer.isNormalized(id, Normalizer.Form.NFC)).as("%s in NFC", id).isTrue();
    }
    assertThat(published.userId()).isNotEqualTo(published.followerId());
  }

  private static JsonNode json(byte[] body) {
    byte[] bytes = body == null ? new byte[0] : body;
    try {
      return JSON.readTree(bytes);
    } catch (IOException e) {
      throw new AssertionError("not JSON: " + new String(bytes, StandardCharsets.UTF_8), e);
    }
  }

  private static byte[] jsonOf(Map<String, ?> fields) {
    // Absent, not null: a field the generator left out is left out of the body.
    var present = new LinkedHashMap<String, Object>(fields);
    present.values().removeIf(v -> v == null);
    return writeJson(present).getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] formOf(Map<String, String> fields) {
    return fields.entrySet().stream()
        .filter(field -> field.getValue() != null)
        .map(field -> formEncode(field.getKey()) + "=" + formEncode(field.getValue()))
        .collect(Collectors.joining("&"))
        .getBytes(StandardCharsets.UTF_8);
  }

  private static String formEncode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  private static String jsonString(String value) {
    return writeJson(value);
  }

  private static String writeJson(Object value) {
    try {
      // To a String, not bytes: a lone surrogate then becomes '?' in getBytes rather than an exception.
      return JSON.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Ids

  private static Arbitrary<Character> idStartChars() {
    return Arbitraries.frequencyOf(
        Tuple.of(6, Arbitraries.chars().alpha().numeric()),
        // Any letter or number of the BMP: accents, CJK, Arabic-Indic digits, Roman numerals, fractions...
        Tuple.of(3, Arbitraries.chars().all().filter(c -> ID_START.matcher(String.valueOf(c)).matches())));
  }

  /** Combining marks of the BMP: accents sent apart from their letter (NFD), Devanagari's vowel signs... */
  private static Arbitrary<Character> marks() {
    return Arbitraries.frequencyOf(
        Tuple.of(2, Arbitraries.of('\u0301', '\u0308', '\u0327', '\u093F', '\u094D')),
        Tuple.of(1, Arbitraries.chars().all().filter(c -> MARK.matcher(String.valueOf(c)).matches())));
  }

  private static Arbitrary<Character> idPartChars() {
    return Arbitraries.frequencyOf(Tuple.of(8, idStartChars()), Tuple.of(2, Arbitraries.of('.', '_', '-')),
        Tuple.of(1, marks()));
  }

  private static String nfc(String id) {
    return Normalizer.normalize(id, Normalizer.Form.NFC);
  }

  /** Within the limit but not an id, once composed as the facade composes it. */
  private static boolean breaksOnlyThePattern(String id) {
    String composed = nfc(id);
    return composed.length() <= FollowRequest.MAX_ID_LENGTH && !VALID_ID.matcher(composed).matches();
  }

  /** Valid ids as a client may send them: in any normal form, no longer than the limit once composed. */
  private static Arbitrary<String> validIds() {
    return Combinators.combine(idStartChars(), idPartChars().list().ofMaxSize(FollowRequest.MAX_ID_LENGTH - 1))
        .as((first, rest) -> first + rest.stream().map(String::valueOf).collect(Collectors.joining()))
        // NFC lengthens a few characters (U+0958 is U+0915 U+093C in it)
        .filter(id -> nfc(id).length() <= FollowRequest.MAX_ID_LENGTH);
  }

  /** Characters an id may not contain anywhere; no lone surrogates, which no client could encode. */
  private static Arbitrary<Character> forbiddenChars() {
    return Arbitraries.frequencyOf(
        Tuple.of(3, Arbitraries.of(' ', '<', '>', '/', '\\', '@', '"', '\'', '&', '=', '+', '%', '\u0000', '\n', '\t',
            '\u200B', '\u00A0', '\u2003', '\u202E', '\uFEFF')),
        Tuple.of(2, Arbitraries.chars().all()
            .filter(c -> !Character.isSurrogate(c) && !ID_PART.matcher(String.valueOf(c)).matches())));
  }

  @Provide
  Arbitrary<Tuple2<String, String>> validIdPairs() {
    return Combinators.combine(validIds(), validIds()).as(Tuple::of)
        .filter(pair -> !nfc(pair.get1()).equals(nfc(pair.get2())));
  }

  enum Rule {
    BLANK("must not be blank"),
    TOO_LONG("size must be between"),
    BAD_FIRST_CHAR("must start with"),
    BAD_CHAR_INSIDE("must start with"),
    SAME_AS_USER("cannot follow themselves");

    final String message;

    Rule(String message) {
      this.message = message;
    }
  }

  record Broken(String userId, String followerId, String field, Rule rule) {
  }

  @Provide
  Arbitrary<Broken> brokenFollows() {
    Arbitrary<String> blank = Arbitraries.oneOf(
        Arbitraries.just((String) null),
        Arbitraries.strings().withChars(" \t\r\n").ofMaxLength(5));
    Arbitrary<String> tooLong = Combinators.combine(idStartChars(),
            idPartChars().list().ofMinSize(FollowRequest.MAX_ID_LENGTH).ofMaxSize(400))
        .as((first, rest) -> first + rest.stream().map(String::valueOf).collect(Collectors.joining()))
        .filter(id -> nfc(id).length() > FollowRequest.MAX_ID_LENGTH); // composed, some come under the limit
    Arbitrary<String> badFirst = Combinators.combine(
            Arbitraries.oneOf(forbiddenChars(), Arbitraries.of('.', '_', '-'), marks()),
            validIds().filter(id -> nfc(id).length() < FollowRequest.MAX_ID_LENGTH))
        .as((first, rest) -> first + rest)
        .filter(FollowRequestFuzzTest::breaksOnlyThePattern);
    Arbitrary<String> badInside = Combinators.combine(
            validIds().filter(id -> nfc(id).length() < FollowRequest.MAX_ID_LENGTH), forbiddenChars(),
            Arbitraries.integers().between(1, FollowRequest.MAX_ID_LENGTH - 1))
        .as((id, bad, at) -> {
          int i = Math.min(at, id.length());
          return id.substring(0, i) + bad + id.substring(i);
        })
        .filter(FollowRequestFuzzTest::breaksOnlyThePattern);

    Arbitrary<Broken> oneFieldBroken = Combinators.combine(
            Arbitraries.of("userId", "followerId"), validIds(),
            Arbitraries.of(Rule.BLANK, Rule.TOO_LONG, Rule.BAD_FIRST_CHAR, Rule.BAD_CHAR_INSIDE))
        .flatAs((field, good, rule) -> (switch (rule) {
          case BLANK -> blank;
          case TOO_LONG -> tooLong;
          case BAD_FIRST_CHAR -> badFirst;
          default -> badInside;
        }).map(bad -> field.equals("userId")
            ? new Broken(bad, good, field, rule)
            : new Broken(good, bad, field, rule)));
    // The same id twice, or once composed and once not: one user to the self-follow rule either way.
    Arbitrary<Broken> sameIds = Combinators.combine(validIds(), Arbitraries.of(Normalizer.Form.NFC, Normalizer.Form.NFD))
        .as((id, form) -> new Broken(id, Normalizer.normalize(id, form), "followerId", Rule.SAME_AS_USER));
    return Arbitraries.frequencyOf(Tuple.of(4, oneFieldBroken), Tuple.of(1, sameIds));
  }

  // ---------------------------------------------------------------------------------------------------------
  // Valid requests, with the ids left as slots

  @Provide
  Arbitrary<Attempt> validFollows() {
    Arbitrary<Attempt> json = Combinators.combine(
            Arbitraries.of("application/json", "application/json;charset=UTF-8", "application/json; charset=utf-8",
                "application/cloudevents+json", "application/vnd.fanout.follow+json", "application/*", "*/*"),
            smallExtraFields(), Arbitraries.of(false, true), benignHeaders(), Arbitraries.of(false, true))
        .as((type, extra, userFirst, headers, declared) -> {
          var text = new StringBuilder("{");
          // Slots are raw, not JSON strings: withIds puts each id in as a complete JSON string.
          var ids = userFirst
              ? List.of("\"userId\":" + ID_SLOTS[0], "\"followerId\":" + ID_SLOTS[1])
              : List.of("\"followerId\":" + ID_SLOTS[1], "\"userId\":" + ID_SLOTS[0]);
          var members = new ArrayList<>(ids);
          extra.forEach((key, value) -> members.add(jsonString(key) + ": " + writeJson(value)));
          text.append(String.join(", ", members)).append("}");
          return new Attempt(type, text.toString().getBytes(StandardCharsets.UTF_8), declared, headers,
              BodyShape.JSON);
        });
    Arbitrary<Attempt> form = Combinators.combine(
            Arbitraries.of("application/x-www-form-urlencoded", "application/x-www-form-urlencoded;charset=UTF-8"),
            smallExtraFields(), Arbitraries.of(false, true), benignHeaders(), Arbitraries.of(false, true))
        .as((type, extra, userFirst, headers, declared) -> {
          var pairs = new ArrayList<>(userFirst
              ? List.of("userId=" + ID_SLOTS[0], "followerId=" + ID_SLOTS[1])
              : List.of("followerId=" + ID_SLOTS[1], "userId=" + ID_SLOTS[0]));
          extra.forEach((key, value) -> pairs.add(formEncode(key) + "=" + formEncode(String.valueOf(value))));
          return new Attempt(type, String.join("&", pairs).getBytes(StandardCharsets.UTF_8), declared, headers,
              BodyShape.FORM);
        });
    return Arbitraries.oneOf(json, form);
  }

  /** Fields a client may add that the service ignores. */
  private static Arbitrary<Map<String, Object>> extraFields() {
    return Arbitraries.maps(otherKeys(), jsonValues(2)).ofMaxSize(3);
  }

  /** Ignored fields that keep a valid follow well under the size limit, so that only its ids decide. */
  private static Arbitrary<Map<String, Object>> smallExtraFields() {
    return Arbitraries.maps(otherKeys(), jsonValues(1).filter(v -> writeJson(v).length() < 1000)).ofMaxSize(3);
  }

  private static Arbitrary<String> otherKeys() {
    return Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(10)
        .filter(key -> !key.equals("userId") && !key.equals("followerId"));
  }

  private static Arbitrary<List<Tuple2<String, String>>> benignHeaders() {
    return Arbitraries.of(
            Tuple.of("Accept", "*/*"), Tuple.of("Accept", "application/json"),
            Tuple.of("Accept", "application/json, application/problem+json"),
            Tuple.of("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
            Tuple.of("traceparent", "garbage"), Tuple.of("User-Agent", "curl/8.5.0"),
            Tuple.of("X-Request-Id", "42"))
        .list().ofMaxSize(3);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Anything

  @Provide
  Arbitrary<Attempt> anyRequests() {
    Arbitrary<Attempt> anything = Combinators.combine(
            contentTypes().injectNull(0.05), bodies(), Arbitraries.of(true, false), headers())
        .as((type, body, declared, headers) -> new Attempt(type, body, declared, headers, BodyShape.OTHER));
    // Follows as a client means them, many of them valid: without these, few tries would get past the reader.
    Arbitrary<Attempt> followLike = Combinators.combine(followLikeBodies(), Arbitraries.of(true, false), headers())
        .flatAs((body, declared, headers) -> (body.get1() == BodyShape.JSON ? jsonContentTypes() : formContentTypes())
            .map(type -> new Attempt(type, body.get2(), declared, headers, body.get1())));
    return Arbitraries.frequencyOf(Tuple.of(3, anything), Tuple.of(2, followLike));
  }

  private static Arbitrary<String> jsonContentTypes() {
    return Arbitraries.of("application/json", "application/json;charset=UTF-8", "application/cloudevents+json",
        "application/problem+json", "application/*", "*/*", "application/JSON");
  }

  private static Arbitrary<String> formContentTypes() {
    return Arbitraries.of("application/x-www-form-urlencoded", "application/x-www-form-urlencoded;charset=UTF-8",
        "application/x-www-form-urlencoded; charset=ISO-8859-1", "APPLICATION/X-WWW-FORM-URLENCODED");
  }

  private static Arbitrary<String> contentTypes() {
    Arbitrary<String> known = Arbitraries.of("application/json", "application/json;charset=UTF-8",
        "application/x-www-form-urlencoded", "application/x-www-form-urlencoded;charset=UTF-8", "text/plain",
        "application/xml", "multipart/form-data; boundary=x", "application/cloudevents+json", "*/*",
        "application/*", "application/problem+json", "text/json", "application/JSON",
        "APPLICATION/X-WWW-FORM-URLENCODED");
    Arbitrary<String> token = Arbitraries.strings().withChars("abcdefghijklmnopqrstuvwxyz0123456789-.+")
        .ofMinLength(1).ofMaxLength(12);
    Arbitrary<String> randomType = Combinators.combine(token, token).as((type, subtype) -> type + "/" + subtype);
    Arbitrary<String> parameter = Arbitraries.oneOf(
        Arbitraries.of(";charset=UTF-8", "; charset=utf-16", ";charset=\"UTF-8\"", ";charset=nonsense",
            ";charset=", "; q=0.5", ";boundary=x", ";", "; a=b; c=\"d e\""),
        Arbitraries.of(Charset.availableCharsets().keySet().toArray(new String[0])).map(name -> ";charset=" + name));
    Arbitrary<String> withParameter = Combinators.combine(Arbitraries.oneOf(known, randomType), parameter)
        .as(String::concat);
    Arbitrary<String> malformed = Arbitraries.oneOf(
        Arbitraries.of("json", "application/", "/json", "*/json", "application/json/x", ";;", "", " ",
            "application/json;charset", "application/json; =x", "text/plain\u00e9"),
        Arbitraries.strings().ascii().ofMaxLength(30).filter(s -> s.chars().noneMatch(c -> c < 0x20 || c == 0x7f)));
    return Arbitraries.frequencyOf(Tuple.of(6, known), Tuple.of(3, randomType), Tuple.of(3, withParameter),
        Tuple.of(2, malformed));
  }

  private static Arbitrary<List<Tuple2<String, String>>> headers() {
    Arbitrary<String> value = Arbitraries.strings().ascii().ofMaxLength(40)
        .filter(s -> s.chars().noneMatch(c -> c < 0x20 || c == 0x7f));
    Arbitrary<String> name = Arbitraries.oneOf(
        Arbitraries.of("Accept", "Accept-Charset", "Accept-Encoding", "Accept-Language", "Content-Encoding",
            "traceparent", "tracestate", "Origin", "Forwarded", "X-Forwarded-Prefix", "X-Forwarded-Host",
            "X-HTTP-Method-Override", "Cookie", "Authorization", "Expect", "Idempotency-Key"),
        Arbitraries.strings().withChars("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
            .ofMinLength(1).ofMaxLength(20).map(n -> "X-" + n));
    Arbitrary<Tuple2<String, String>> header = Arbitraries.frequencyOf(
        Tuple.of(3, Combinators.combine(name, value).as(Tuple::of)),
        Tuple.of(1, Arbitraries.of("*/*", "application/json", "application/problem+json", "text/html",
            "text/plain", "application/xml", "application/*", "nonsense").map(v -> Tuple.of("Accept", v))),
        Tuple.of(1, Arbitraries.of("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "00-00000000000000000000000000000000-b7ad6b7169203331-01", "ff-x-y-z", "")
            .map(v -> Tuple.of("traceparent", v))));
    return header.list().ofMaxSize(4);
  }

  private static Arbitrary<byte[]> bodies() {
    Arbitrary<byte[]> text = Arbitraries.strings().all().ofMaxLength(200)
        .map(s -> s.getBytes(StandardCharsets.UTF_8));
    Arbitrary<byte[]> bytes = Arbitraries.bytes().array(byte[].class).ofMaxSize(300);
    Arbitrary<byte[]> jsonTrees = jsonValues(4).map(FollowRequestFuzzTest::writeJson)
        .flatMap(FollowRequestFuzzTest::mutated).map(s -> s.getBytes(StandardCharsets.UTF_8));
    Arbitrary<byte[]> followLike = followLikeBodies().map(Tuple2::get2);
    Arbitrary<byte[]> forms = forms().map(s -> s.getBytes(StandardCharsets.UTF_8));
    Arbitrary<byte[]> deep = Combinators.combine(
            Arbitraries.integers().between(1, 5000), Arbitraries.of("[", "{\"a\":"))
        .as((depth, open) -> (open.repeat(depth) + "1" + (open.equals("[") ? "]" : "}").repeat(depth))
            .getBytes(StandardCharsets.UTF_8));
    Arbitrary<byte[]> aroundTheLimit = Combinators.combine(
            Arbitraries.oneOf(
                Arbitraries.integers().between(MAX_BODY_BYTES - 4, MAX_BODY_BYTES + 4),
                Arbitraries.integers().between(MAX_BODY_BYTES + 5, 4 * MAX_BODY_BYTES)),
            Arbitraries.of(true, false))
        .as((size, asJson) -> padded(size, asJson));
    return Arbitraries.frequencyOf(
        Tuple.of(2, text), Tuple.of(2, bytes), Tuple.of(4, jsonTrees), Tuple.of(8, followLike), Tuple.of(3, forms),
        Tuple.of(1, deep), Tuple.of(2, aroundTheLimit), Tuple.of(1, Arbitraries.just(new byte[0])));
  }

  /** A follow object with ids that are mostly valid, as JSON (sometimes broken) or as a form. */
  private static Arbitrary<Tuple2<BodyShape, byte[]>> followLikeBodies() {
    return Combinators.combine(idLike(), idLike(), extraFields(), Arbitraries.of(BodyShape.JSON, BodyShape.FORM))
        .flatAs((userId, followerId, extra, shape) -> {
          var fields = new LinkedHashMap<String, Object>(extra);
          fields.put("userId", userId);
          fields.put("followerId", followerId);
          Arbitrary<String> text = shape == BodyShape.JSON
              ? mutated(writeJson(fields))
              : Arbitraries.just(rawForm(fields));
          return text.map(t -> Tuple.of(shape, t.getBytes(StandardCharsets.UTF_8)));
        });
  }

  /** A valid follow, padded to exactly {@code size} bytes: only its size can make it fail. */
  private static byte[] padded(int size, boolean asJson) {
    String head = asJson
        ? "{\"userId\": \"alice\", \"followerId\": \"bob\", \"padding\": \""
        : "userId=alice&followerId=bob&padding=";
    String tail = asJson ? "\"}" : "";
    return (head + "x".repeat(size - head.length() - tail.length()) + tail).getBytes(StandardCharsets.UTF_8);
  }

  /** Mostly valid ids, so that many generated bodies reach the publisher; the rest anything JSON can hold. */
  private static Arbitrary<Object> idLike() {
    return Arbitraries.frequencyOf(
        Tuple.of(6, validIds().map(id -> (Object) id)),
        Tuple.of(1, Arbitraries.of("alice", "bob").map(id -> (Object) id)),
        Tuple.of(2, Arbitraries.strings().all().ofMaxLength(80).map(id -> (Object) id)),
        Tuple.of(1, Arbitraries.strings().alpha().ofMinLength(60).ofMaxLength(70).map(id -> (Object) id)),
        Tuple.of(2, jsonValues(2)));
  }

  private static Arbitrary<String> forms() {
    Arbitrary<String> key = Arbitraries.oneOf(Arbitraries.of("userId", "followerId", "userid", "user%49d", ""),
        Arbitraries.strings().all().ofMaxLength(10));
    Arbitrary<String> value = Arbitraries.oneOf(idLike().map(String::valueOf),
        Arbitraries.of("%", "%zz", "%E0%A4", "%C3%B8", "%00", "+", "a=b", "%2"));
    Arbitrary<String> pair = Combinators.combine(key, value, Arbitraries.of(true, false))
        .as((k, v, encode) -> encode ? formEncode(k) + "=" + formEncode(v) : k + "=" + v);
    return pair.list().ofMaxSize(5).map(pairs -> String.join("&", pairs));
  }

  private static String rawForm(Map<String, Object> fields) {
    return fields.entrySet().stream()
        .map(field -> formEncode(field.getKey()) + "=" + formEncode(String.valueOf(field.getValue())))
        .collect(Collectors.joining("&"));
  }

  /** JSON text, mostly as is, sometimes broken the ways a client or a proxy breaks it. */
  private static Arbitrary<String> mutated(String json) {
    Arbitrary<Integer> at = Arbitraries.integers().between(0, json.length());
    return Arbitraries.frequencyOf(
        Tuple.of(6, Arbitraries.just(json)),
        Tuple.of(1, at.map(i -> json.substring(0, i))),
        Tuple.of(1, Combinators.combine(at, Arbitraries.strings().all().ofMinLength(1).ofMaxLength(3))
            .as((i, s) -> json.substring(0, i) + s + json.substring(i))),
        Tuple.of(1, Arbitraries.of(" trailing", "}", ",", "\u0000", "\n{}", " // comment", "\uFEFF")
            .map(json::concat)),
        Tuple.of(1, Arbitraries.of("\uFEFF", " \n\t", "[", "garbage").map(prefix -> prefix + json)));
  }

  /** Values JSON can hold, nested up to {@code depth}: objects with any keys, arrays, numbers, strings, null. */
  private static Arbitrary<Object> jsonValues(int depth) {
    Arbitrary<Object> leaf = Arbitraries.frequencyOf(
        Tuple.of(3, Arbitraries.strings().all().ofMaxLength(30).map(s -> (Object) s)),
        Tuple.of(2, validIds().map(s -> (Object) s)),
        // Very long strings, by repetition: jqwik builds a generated string char by char, which is slow at this size.
        Tuple.of(1, Combinators.combine(
                Arbitraries.strings().withChars("ab\u00e9\u4e2d\"\\\u0000").ofMinLength(1).ofMaxLength(20),
                Arbitraries.integers().between(50, 500))
            .as((s, times) -> (Object) s.repeat(times))),
        Tuple.of(1, Arbitraries.integers().map(i -> (Object) i)),
        Tuple.of(1, Arbitraries.longs().map(l -> (Object) l)),
        Tuple.of(1, Arbitraries.bigIntegers().between(BigInteger.TEN.pow(30).negate(),
            BigInteger.TEN.pow(30)).map(b -> (Object) b)),
        Tuple.of(1, Arbitraries.doubles().map(d -> (Object) d)),
        Tuple.of(1, Arbitraries.of(true, false).map(b -> (Object) b)),
        Tuple.of(1, Arbitraries.just((Object) null)));
    if (depth == 0) {
      return leaf;
    }
    Arbitrary<Object> deeper = Arbitraries.lazy(() -> jsonValues(depth - 1));
    return Arbitraries.frequencyOf(
        Tuple.of(4, leaf),
        Tuple.of(1, deeper.list().ofMaxSize(4).map(list -> (Object) list)),
        Tuple.of(1, Arbitraries.maps(Arbitraries.oneOf(Arbitraries.of("userId", "followerId"),
                Arbitraries.strings().all().ofMaxLength(10)), deeper)
            .ofMaxSize(4).map(map -> (Object) map)));
  }

  // ---------------------------------------------------------------------------------------------------------
  // Methods and paths

  @Provide
  Arbitrary<HttpMethod> otherMethods() {
    // Not OPTIONS: WebFlux answers it itself for any mapped path, with 200 and an Allow header.
    return Arbitraries.oneOf(
        Arbitraries.of("GET", "HEAD", "PUT", "DELETE", "PATCH", "TRACE", "CONNECT", "PROPFIND", "post", "Post"),
        Arbitraries.strings().withCharRange('A', 'Z').ofMinLength(1).ofMaxLength(10))
        .filter(method -> !method.equals("POST") && !method.equals("OPTIONS"))
        .map(HttpMethod::valueOf);
  }

  @Provide
  Arbitrary<HttpMethod> anyMethods() {
    return Arbitraries.oneOf(Arbitraries.just(HttpMethod.POST), otherMethods());
  }

  @Provide
  Arbitrary<String> otherPaths() {
    // Letters and digits as they are, anything else percent-encoded: a path then decodes to "/followers" only if
    // it is literally "/followers", which is left out.
    Arbitrary<String> encoded = Arbitraries.chars().all().filter(c -> !Character.isSurrogate(c)
            && !Character.isLetterOrDigit(c))
        .map(c -> URLEncoder.encode(String.valueOf(c), StandardCharsets.UTF_8).replace("+", "%20"));
    Arbitrary<String> segment = Arbitraries.oneOf(
            Arbitraries.strings().withCharRange('a', 'z').withCharRange('0', '9').ofMinLength(1).ofMaxLength(12),
            Arbitraries.oneOf(Arbitraries.strings().alpha().numeric().ofMinLength(1).ofMaxLength(1), encoded)
                .list().ofMinSize(1).ofMaxSize(6).map(parts -> String.join("", parts)),
            Arbitraries.of("followers", "follower", "Followers", "FOLLOWERS", "followers.json", "actuator", "health",
                "error", "index.html", "favicon.ico", "webjars"))
        .filter(s -> !s.equals(".") && !s.equals(".."));
    Arbitrary<String> path = segment.list().ofMinSize(1).ofMaxSize(4).map(segments -> "/" + String.join("/", segments));
    return Arbitraries.oneOf(path, path.map(p -> p + "/"), Arbitraries.of("/", "/followers/", "/followers/x"))
        .filter(p -> !p.equals("/followers"));
  }
}
