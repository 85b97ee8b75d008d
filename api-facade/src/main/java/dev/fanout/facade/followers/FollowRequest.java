package dev.fanout.facade.followers;

import jakarta.validation.constraints.AssertTrue;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;

/** {@code followerId} asks to follow {@code userId}. */
record FollowRequest(
    @NotBlank @Size(max = FollowRequest.MAX_ID_LENGTH) @Pattern(regexp = ID_PATTERN, message = ID_RULE) String userId,
    @NotBlank @Size(max = FollowRequest.MAX_ID_LENGTH) @Pattern(regexp = ID_PATTERN, message = ID_RULE) String followerId) {

  static final int MAX_ID_LENGTH = 64;
  static final String ID_PATTERN = "[\\p{L}\\p{N}][\\p{L}\\p{N}._-]*";
  static final String ID_RULE = "must start with a letter or digit and contain only letters, digits, '.', '_' and '-'";

  /** What a client should send; quoted in every problem that is about the body's shape. */
  static final String EXPECTED_BODY = "{\"userId\": \"alice\", \"followerId\": \"bob\"}";

  @AssertTrue(message = "a user cannot follow themselves")
  boolean isFollowerIdDifferentFromUserId() {
    return userId == null || !userId.equals(followerId);
  }
}
