package dev.fanout.facade.followers;

import java.net.URI;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.ErrorResponseException;

/**
 * A client mistake in {@code POST /followers}: rendered as problem details, nothing published. Without a stack
 * trace: the mistake is the client's, and a client that keeps making it must not cost the facade a trace each time.
 */
class InvalidFollowRequestException extends ErrorResponseException {

  static final URI TYPE = URI.create("/problems/invalid-follow-request");

  private InvalidFollowRequestException(HttpStatus status, String title, String detail, Object errors) {
    super(status, problem(status, title, detail, errors), null);
  }

  static InvalidFollowRequestException badBody(String detail) {
    return new InvalidFollowRequestException(HttpStatus.BAD_REQUEST, "Malformed request body",
        detail + " Expected: " + FollowRequest.EXPECTED_BODY, null);
  }

  static InvalidFollowRequestException invalidFields(Map<String, String> messagesByField) {
    var detail = new StringBuilder();
    messagesByField.forEach((field, message) ->
        detail.append(detail.isEmpty() ? "" : "; ").append(field).append(": ").append(message));
    var errors = messagesByField.entrySet().stream()
        .map(entry -> Map.of("field", entry.getKey(), "message", entry.getValue()))
        .toList();
    return new InvalidFollowRequestException(HttpStatus.BAD_REQUEST, "Invalid fields", detail.toString(), errors);
  }

  static InvalidFollowRequestException unsupportedMediaType(String contentType) {
    var exception = new InvalidFollowRequestException(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "Unsupported media type",
        "Content-Type " + contentType + " is not supported; send application/json ("
            + FollowRequest.EXPECTED_BODY + ") or application/x-www-form-urlencoded (userId=alice&followerId=bob).",
        null);
    exception.getHeaders().add("Accept-Post", "application/json, application/x-www-form-urlencoded");
    return exception;
  }

  static InvalidFollowRequestException badIdempotencyKey(String detail) {
    return new InvalidFollowRequestException(HttpStatus.BAD_REQUEST, "Invalid Idempotency-Key", detail, null);
  }

  /** RFC 9110, 15.5.16: a content coding the server does not take is a 415, naming the ones it takes. */
  static InvalidFollowRequestException unsupportedEncoding(String contentEncoding) {
    var exception = new InvalidFollowRequestException(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "Unsupported content encoding",
        "Content-Encoding " + contentEncoding + " is not supported; send the body unencoded.", null);
    exception.getHeaders().add(HttpHeaders.ACCEPT_ENCODING, "identity");
    return exception;
  }

  static InvalidFollowRequestException tooLarge(int limitBytes) {
    return new InvalidFollowRequestException(HttpStatus.PAYLOAD_TOO_LARGE, "Request body too large",
        "The request body is larger than " + limitBytes + " bytes.", null);
  }

  @Override
  public synchronized Throwable fillInStackTrace() {
    return this;
  }

  private static ProblemDetail problem(HttpStatus status, String title, String detail, Object errors) {
    var problem = ProblemDetail.forStatusAndDetail(status, detail);
    problem.setType(TYPE);
    problem.setTitle(title);
    if (errors instanceof List<?> list) {
      problem.setProperty("errors", list);
    }
    return problem;
  }
}
