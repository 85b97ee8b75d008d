package dev.fanout.facade.followers;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import org.springframework.http.HttpHeaders;

/**
 * The client's {@code Idempotency-Key} header (IETF draft-ietf-httpapi-idempotency-key-header), which gives a retried
 * follow the event id of its first try. A 503 leaves the client unable to know whether its event was stored: a
 * timeout cannot tell, and daprd 1.16 fails a whole bulk call when one of its events could not be stored, so events
 * stored beside it are answered 503 too. Retried under a fresh id such an event would notify twice; under the same
 * id, the subscribers take the retry for the copy it is (within their duplicate window,
 * {@code fanout.subscription.done-ttl}).
 *
 * <p>The event id is a name-based UUID of the key and the follow: a key reused for another follow names another
 * event, never swallowing it as a duplicate. The value is a Structured Field string ({@code "…"}, as the draft
 * defines it; parameters after it are ignored) or, as many clients send it, the bare characters.
 */
record IdempotencyKey(String value) {

  static final String HEADER = "Idempotency-Key";
  static final int MAX_LENGTH = 255;

  /** The request's key, null when it has none; a malformed one is a client mistake. */
  static IdempotencyKey of(HttpHeaders headers) {
    List<String> values = headers.get(HEADER);
    if (values == null) {
      return null;
    }
    if (values.size() != 1) {
      throw InvalidFollowRequestException.badIdempotencyKey(
          "Send one " + HEADER + " header, not " + values.size() + ".");
    }
    String raw = values.get(0).strip();
    String key = raw.startsWith("\"") ? sfString(raw) : raw.contains("\"") ? null : raw;
    if (key == null || key.isEmpty() || key.length() > MAX_LENGTH
        || !key.chars().allMatch(c -> c >= 0x20 && c <= 0x7e)) {
      throw InvalidFollowRequestException.badIdempotencyKey(HEADER + " must be 1 to " + MAX_LENGTH
          + " printable ASCII characters, as a Structured Field string (\"8e03978e-40d5-43e8-bc93-6894a57f9324\")"
          + " or bare, without quotes.");
    }
    return new IdempotencyKey(key);
  }

  /** The content of an RFC 8941 String (its parameters, ";…", ignored); null when it is malformed. */
  private static String sfString(String item) {
    var content = new StringBuilder(item.length());
    for (int i = 1; i < item.length(); i++) {
      char c = item.charAt(i);
      if (c == '"') {
        String parameters = item.substring(i + 1);
        return parameters.isEmpty() || parameters.startsWith(";") ? content.toString() : null;
      }
      if (c == '\\') {
        if (++i == item.length() || (item.charAt(i) != '"' && item.charAt(i) != '\\')) {
          return null;
        }
        c = item.charAt(i);
      }
      content.append(c);
    }
    return null; // unterminated
  }

  /** The event id of this follow under this key, the same on every try. */
  String eventId(FollowRequest follow) {
    // Lengths first, so that no two different (key, user, follower) triples give the same name.
    String name = value.length() + ":" + value + follow.userId().length() + ":" + follow.userId() + follow.followerId();
    return UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)).toString();
  }
}
