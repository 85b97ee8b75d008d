package dev.fanout.subscriber;

import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyList;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import io.dapr.client.DaprClient;
import io.dapr.client.domain.State;
import io.dapr.client.domain.StateOptions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import reactor.core.publisher.Mono;

/**
 * The Dapr state store behind the {@link DaprClient} calls {@link IdempotencyStore} makes, kept in memory, with
 * daprd's first-write-wins semantics: no daprd runs next to these tests. It can be taken down, as a sidecar or
 * Redis in trouble would be. Shared with the notification services' tests through this module's test-jar.
 */
public final class InMemoryStateStore {

  /** A value and the ETag daprd would give it: a new one on every write. */
  private record Entry(Object value, String etag) {
  }

  private final Map<String, Entry> entries = new ConcurrentHashMap<>();
  private final AtomicLong versions = new AtomicLong();
  private final DaprClient client = mock(DaprClient.class);
  private volatile boolean reachable = true;

  @SuppressWarnings("unchecked")
  public InMemoryStateStore() {
    when(client.getState(anyString(), anyString(), eq(String.class))).thenAnswer(call -> available(() -> {
      String key = call.getArgument(1);
      Entry entry = entries.get(key);
      return Mono.just(entry == null ? new State<String>(key) : new State<>(key, (String) entry.value(), entry.etag()));
    }));
    when(client.saveBulkState(anyString(), anyList())).thenAnswer(call -> available(() -> {
      for (State<?> state : (List<State<?>>) call.getArgument(1)) {
        if (!write(state.getKey(), state.getValue(), state.getEtag(), state.getOptions())) {
          return Mono.error(new IllegalStateException("possible etag mismatch: " + state.getKey()));
        }
      }
      return Mono.empty();
    }));
    when(client.deleteState(anyString(), anyString(), any(), any())).thenAnswer(call -> available(() -> {
      String key = call.getArgument(1);
      String etag = call.getArgument(2);
      if (etag == null) {
        entries.remove(key);
        return Mono.<Void>empty();
      }
      boolean deleted = entries.computeIfPresent(key, (k, entry) -> entry.etag().equals(etag) ? null : entry) == null;
      return deleted ? Mono.<Void>empty() : Mono.error(new IllegalStateException("possible etag mismatch: " + key));
    }));
  }

  /** daprd's rules: a given ETag must match; without one, first-write means "only if absent", else overwrite. */
  private boolean write(String key, Object value, String etag, StateOptions options) {
    var fresh = new Entry(value, String.valueOf(versions.incrementAndGet()));
    if (etag != null) {
      return entries.computeIfPresent(key, (k, entry) -> entry.etag().equals(etag) ? fresh : entry) == fresh;
    }
    if (options != null && options.getConcurrency() == StateOptions.Concurrency.FIRST_WRITE) {
      return entries.putIfAbsent(key, fresh) == null;
    }
    entries.put(key, fresh);
    return true;
  }

  public DaprClient client() {
    return client;
  }

  public void goDown() {
    reachable = false;
  }

  public void put(String key, String value) {
    write(key, value, null, null);
  }

  /** The value under a key, or null. */
  public Object get(String key) {
    Entry entry = entries.get(key);
    return entry == null ? null : entry.value();
  }

  public boolean contains(String key) {
    return entries.containsKey(key);
  }

  public void clear() {
    entries.clear();
    reachable = true;
  }

  /** Gives a Spring test context this store and a DaprClient backed by it: {@code @Import(InMemoryStateStore.Beans.class)}. */
  @TestConfiguration(proxyBeanMethods = false)
  public static class Beans {

    @Bean
    InMemoryStateStore inMemoryStateStore() {
      return new InMemoryStateStore();
    }

    @Bean
    DaprClient daprClient(InMemoryStateStore stateStore) {
      return stateStore.client();
    }
  }

  private <T> Mono<T> available(java.util.function.Supplier<Mono<T>> operation) {
    return Mono.defer(() -> reachable
        ? operation.get()
        : Mono.error(new IllegalStateException("UNAVAILABLE: io exception")));
  }
}
