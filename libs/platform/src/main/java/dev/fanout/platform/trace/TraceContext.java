package dev.fanout.platform.trace;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A W3C Trace Context ({@code traceparent}: version-traceid-parentid-flags). Every access-log line and every
 * handler line carries the trace id, so that one {@code grep} follows a request from the facade to both
 * subscribers: daprd keeps the trace id across the broker.
 */
public record TraceContext(String traceId, String spanId, String flags) {

  public static final String HEADER = "traceparent";

  /** The exchange attribute under which {@link dev.fanout.platform.web.AccessLogFilter} stores the context. */
  public static final String ATTRIBUTE = TraceContext.class.getName();

  private static final Pattern TRACEPARENT =
      Pattern.compile("00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})");
  private static final String INVALID_TRACE_ID = "0".repeat(32);
  private static final String INVALID_SPAN_ID = "0".repeat(16);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final HexFormat HEX = HexFormat.of();

  /** Parses a {@code traceparent} header; empty when absent or not a valid version-00 value. */
  public static Optional<TraceContext> parse(String traceparent) {
    if (traceparent == null) {
      return Optional.empty();
    }
    var matcher = TRACEPARENT.matcher(traceparent.trim());
    if (!matcher.matches()
        || matcher.group(1).equals(INVALID_TRACE_ID)
        || matcher.group(2).equals(INVALID_SPAN_ID)) {
      return Optional.empty();
    }
    return Optional.of(new TraceContext(matcher.group(1), matcher.group(2), matcher.group(3)));
  }

  /** Starts a new, sampled trace. */
  public static TraceContext generate() {
    return new TraceContext(randomHex(16), randomHex(8), "01");
  }

  /** A child span of this trace: same trace id, new span id, as each hop should send downstream. */
  public TraceContext child() {
    return new TraceContext(traceId, randomHex(8), flags);
  }

  public String traceparent() {
    return "00-" + traceId + "-" + spanId + "-" + flags;
  }

  private static String randomHex(int bytes) {
    byte[] buffer = new byte[bytes];
    RANDOM.nextBytes(buffer);
    return HEX.formatHex(buffer);
  }
}
