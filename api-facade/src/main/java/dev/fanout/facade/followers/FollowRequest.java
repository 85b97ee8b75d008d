package dev.fanout.facade.followers;

import java.text.Normalizer;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * {@code followerId} asks to follow {@code userId}.
 *
 * <p>The rules are checked here by hand rather than by Bean Validation: Hibernate Validator built a property path,
 * a constraint context and a set of violations for every request, valid or not: 8 % of the facade's allocation
 * per request (BENCHMARKS.md, round 16). The messages are Bean Validation's own, so clients see the same answers.
 *
 * <p>Ids are taken in Unicode's composed form (NFC), whatever form the client typed them in: "José" typed on a
 * keyboard that sends an "e" and a combining accent is the same user as "José" sent as one "é", to the self-follow
 * rule and to every subscriber. Combining marks may follow a letter or digit: without them, names in scripts that
 * have no precomposed letters (Devanagari's vowel signs, say) could not be ids at all.
 */
record FollowRequest(String userId, String followerId) {

  FollowRequest {
    userId = composed(userId);
    followerId = composed(followerId);
  }

  static final int MAX_ID_LENGTH = 64;
  static final String ID_PATTERN = "[\\p{L}\\p{N}][\\p{L}\\p{M}\\p{N}._-]*";
  static final String ID_RULE =
      "must start with a letter or digit and contain only letters, combining marks, digits, '.', '_' and '-'";
  static final String NOT_BLANK = "must not be blank";
  static final String TOO_LONG = "size must be between 0 and " + MAX_ID_LENGTH;
  static final String SELF_FOLLOW = "a user cannot follow themselves";

  /** What a client should send; quoted in every problem that is about the body's shape. */
  static final String EXPECTED_BODY = "{\"userId\": \"alice\", \"followerId\": \"bob\"}";

  private static final Pattern ID = Pattern.compile(ID_PATTERN);

  /** Each invalid field, by name, with the most basic rule it breaks; empty when the request is valid. */
  Map<String, String> violations() {
    var violations = new TreeMap<String, String>();
    check("userId", userId, violations);
    check("followerId", followerId, violations);
    if (userId != null && userId.equals(followerId)) {
      violations.putIfAbsent("followerId", SELF_FOLLOW);
    }
    return violations;
  }

  /**
   * The id in NFC. Below U+0300 every character is already composed and composes with nothing before it, so the
   * usual ASCII id is returned as it is, without the normalizer's copy.
   */
  private static String composed(String id) {
    if (id == null) {
      return null;
    }
    for (int i = 0; i < id.length(); i++) {
      if (id.charAt(i) >= '\u0300') {
        return Normalizer.normalize(id, Normalizer.Form.NFC);
      }
    }
    return id;
  }

  private static void check(String field, String id, Map<String, String> violations) {
    // trim(), not isBlank(): blank means nothing but ASCII spaces and controls, as @NotBlank has it. An id of
    // other white space (U+2003) is not blank but breaks the pattern, and is answered so.
    if (id == null || id.trim().isEmpty()) {
      violations.put(field, NOT_BLANK);
    } else if (id.length() > MAX_ID_LENGTH) {
      violations.put(field, TOO_LONG);
    } else if (!ID.matcher(id).matches()) {
      violations.put(field, ID_RULE);
    }
  }
}
