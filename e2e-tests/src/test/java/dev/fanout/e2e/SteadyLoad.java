package dev.fanout.e2e;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A steady stream of {@code POST /followers} while a fault happens: bounded (it stops when closed, and never
 * posts more than {@code limit}), on loopback only. Keeps the id of every event that got a 202: the events the
 * system promised not to lose.
 */
final class SteadyLoad implements AutoCloseable {

  /** The key under which requests that got no HTTP answer at all are counted. */
  static final int NO_ANSWER = 0;

  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  private final ConcurrentLinkedQueue<String> accepted = new ConcurrentLinkedQueue<>();
  private final Map<Integer, AtomicInteger> refused = new ConcurrentHashMap<>();
  private final AtomicInteger sent = new AtomicInteger();
  private final AtomicInteger refusalsWithoutRetryAfter = new AtomicInteger();

  SteadyLoad(String userPrefix, int perSecond, int limit) {
    scheduler.scheduleAtFixedRate(() -> {
      int n = sent.get();
      if (n >= limit) {
        return;
      }
      sent.incrementAndGet();
      Fanout.Response response;
      try {
        response = Fanout.post("application/json",
            "{\"userId\":\"" + userPrefix + n + "\",\"followerId\":\"fan" + n + "\"}", Map.of());
      } catch (RuntimeException noAnswer) {
        // No answer at all (connection refused, timeout): counted, and the stream goes on. An exception escaping
        // this task would silently cancel every later run of it.
        refused.computeIfAbsent(NO_ANSWER, s -> new AtomicInteger()).incrementAndGet();
        return;
      }
      if (response.status() == 202) {
        accepted.add(response.eventId());
      } else {
        refused.computeIfAbsent(response.status(), s -> new AtomicInteger()).incrementAndGet();
        if (response.status() == 503 && !response.retryAfter()) {
          refusalsWithoutRetryAfter.incrementAndGet();
        }
      }
    }, 0, 1000 / perSecond, TimeUnit.MILLISECONDS);
  }

  List<String> accepted() {
    return List.copyOf(accepted);
  }

  int sent() {
    return sent.get();
  }

  Map<Integer, Integer> refused() {
    var counts = new TreeMap<Integer, Integer>();
    refused.forEach((status, count) -> counts.put(status, count.get()));
    return counts;
  }

  int refusalsWithoutRetryAfter() {
    return refusalsWithoutRetryAfter.get();
  }

  @Override
  public void close() {
    scheduler.shutdown();
    try {
      scheduler.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
