package dev.fanout.facade.followers;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;
import reactor.netty.channel.AbortedException;
import reactor.netty.http.server.HttpServerResponse;

/**
 * Reads and validates the body of {@code POST /followers}, as JSON or as a form (the original system posted
 * forms). Done by hand rather than by {@code @RequestBody} so that every way a body can be wrong — absent,
 * too large, of another type, malformed, invalid — gets its own clear problem, and a bare
 * {@code curl -X POST} learns what to send instead of getting a 415.
 */
@Component
class FollowRequestReader {

  private final ObjectReader json;
  private final int maxBodyBytes;

  FollowRequestReader(ObjectMapper mapper, FollowersProperties properties) {
    // Trailing garbage after the object is a malformed body, not something to ignore; so is a field named twice,
    // which parsers disagree on (the first or the last?): a proxy that checked one value must not see us publish the
    // other.
    this.json = mapper.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .with(StreamReadFeature.STRICT_DUPLICATE_DETECTION);
    this.maxBodyBytes = (int) properties.maxBodySize().toBytes();
  }

  Mono<FollowRequest> read(ServerHttpRequest request) {
    if (request.getHeaders().getContentLength() > maxBodyBytes) {
      // Refuse before reading a byte of it.
      return Mono.error(InvalidFollowRequestException.tooLarge(maxBodyBytes));
    }
    return DataBufferUtils.join(request.getBody(), maxBodyBytes)
        .map(buffer -> {
          byte[] bytes = new byte[buffer.readableByteCount()];
          buffer.read(bytes);
          DataBufferUtils.release(buffer);
          return bytes;
        })
        .defaultIfEmpty(new byte[0])
        .onErrorMap(DataBufferLimitException.class, e -> InvalidFollowRequestException.tooLarge(maxBodyBytes))
        .map(body -> {
          refuseWhatTheServerEnded(request);
          return validate(parse(request, body));
        });
  }

  /**
   * Reactor Netty ends the body of a request whose framing broke (a chunk size that is no number, say) as if it had
   * come whole, after answering 400 itself and closing: what was read is then only the start of the body, and a
   * follow found in it must not be published, for its client was told no. The same for a client gone mid-request:
   * nobody would learn the event's id. Both end as a client gone away (ProblemDetailsExceptionHandler).
   */
  private static void refuseWhatTheServerEnded(ServerHttpRequest request) {
    Object operations = nativeRequest(request); // Reactor Netty's request is its response and its connection too
    if (operations instanceof HttpServerResponse answer && answer.hasSentHeaders()
        || operations instanceof Connection connection && connection.isDisposed()) {
      throw new AbortedException("the request ended before its body did");
    }
  }

  private static Object nativeRequest(ServerHttpRequest request) {
    try {
      return ServerHttpRequestDecorator.getNativeRequest(request);
    } catch (IllegalStateException | IllegalArgumentException noServer) {
      return null; // a mock request, in a test without a server
    }
  }

  private FollowRequest parse(ServerHttpRequest request, byte[] body) {
    if (body.length == 0) {
      throw InvalidFollowRequestException.badBody("The request body is missing.");
    }
    refuseEncodedContent(request);
    MediaType contentType = contentType(request);
    if (MediaType.APPLICATION_JSON.isCompatibleWith(contentType)
        || "json".equals(contentType.getSubtypeSuffix())) {
      // JSON is Unicode (RFC 8259), which the parser tells apart by itself: a body declared in another charset would
      // be read as something it is not, or refused as "not valid JSON".
      if (contentType.getCharset() != null && !contentType.getCharset().name().startsWith("UTF-")) {
        throw InvalidFollowRequestException.unsupportedMediaType(contentType.toString());
      }
      return parseJson(body);
    }
    if (MediaType.APPLICATION_FORM_URLENCODED.isCompatibleWith(contentType)) {
      return parseForm(body, contentType.getCharset() != null ? contentType.getCharset() : StandardCharsets.UTF_8);
    }
    throw InvalidFollowRequestException.unsupportedMediaType(contentType.toString());
  }

  private static void refuseEncodedContent(ServerHttpRequest request) {
    List<String> encodings = request.getHeaders().getOrEmpty(HttpHeaders.CONTENT_ENCODING);
    if (!encodings.stream().flatMap(value -> Arrays.stream(value.split(",")))
        .allMatch(coding -> coding.isBlank() || coding.strip().equalsIgnoreCase("identity"))) {
      // Read as it is, a gzipped body would be "not valid JSON", and a form of another coding might even parse.
      throw InvalidFollowRequestException.unsupportedEncoding(String.join(", ", encodings));
    }
  }

  private static MediaType contentType(ServerHttpRequest request) {
    String header = request.getHeaders().getFirst("Content-Type");
    if (header == null || header.isBlank()) {
      throw InvalidFollowRequestException.unsupportedMediaType("(none)");
    }
    try {
      return MediaType.parseMediaType(header);
    } catch (IllegalArgumentException e) {
      // InvalidMediaTypeException, or an unknown charset parameter.
      throw InvalidFollowRequestException.unsupportedMediaType("'" + header + "'");
    }
  }

  private FollowRequest parseJson(byte[] body) {
    JsonNode json;
    try {
      json = this.json.readTree(body);
    } catch (StreamReadException e) {
      throw InvalidFollowRequestException.badBody(e.getOriginalMessage().startsWith("Duplicate field")
          ? "The body names a field twice." : "The body is not valid JSON.");
    } catch (IOException e) {
      throw InvalidFollowRequestException.badBody("The body is not valid JSON.");
    }
    if (json == null || !json.isObject()) {
      throw InvalidFollowRequestException.badBody("The body must be a JSON object.");
    }
    var wrongTypes = new TreeMap<String, String>();
    String userId = textField(json, "userId", wrongTypes);
    String followerId = textField(json, "followerId", wrongTypes);
    if (!wrongTypes.isEmpty()) {
      throw InvalidFollowRequestException.invalidFields(wrongTypes);
    }
    return new FollowRequest(userId, followerId);
  }

  private static String textField(JsonNode json, String field, Map<String, String> wrongTypes) {
    JsonNode value = json.get(field);
    if (value == null || value.isNull()) {
      return null;
    }
    if (!value.isTextual()) {
      wrongTypes.put(field, "must be a string");
      return null;
    }
    return value.textValue();
  }

  private static FollowRequest parseForm(byte[] body, Charset charset) {
    var fields = new LinkedHashMap<String, String>();
    for (String pair : new String(body, charset).split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int equals = pair.indexOf('=');
      try {
        String name = URLDecoder.decode(equals < 0 ? pair : pair.substring(0, equals), charset);
        String value = equals < 0 ? "" : URLDecoder.decode(pair.substring(equals + 1), charset);
        if (fields.putIfAbsent(name, value) != null) {
          throw InvalidFollowRequestException.badBody("The form names " + name + " twice.");
        }
      } catch (IllegalArgumentException e) {
        throw InvalidFollowRequestException.badBody("The form body is not valid URL encoding.");
      }
    }
    return new FollowRequest(fields.get("userId"), fields.get("followerId"));
  }

  private static FollowRequest validate(FollowRequest request) {
    var violations = request.violations();
    if (!violations.isEmpty()) {
      throw InvalidFollowRequestException.invalidFields(violations);
    }
    return request;
  }
}
