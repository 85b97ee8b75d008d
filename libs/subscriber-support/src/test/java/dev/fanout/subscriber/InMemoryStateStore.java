package dev.fanout.subscriber;

import static org.mockito.ArgumentMatchers.anyList;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import io.dapr.client.DaprClient;
import io.dapr.client.domain.State;
import io.dapr.client.domain.TransactionalStateOperation;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import reactor.core.publisher.Mono;

/**
 * The Dapr state store behind the {@link DaprClient} calls {@link IdempotencyStore} makes, kept in memory, with
 * daprd's first-write-wins semantics: no daprd runs next to these tests. It can be taken down, as a sidecar or
 * Redis in trouble would be. Shared with the notification services' tests through this module's test-jar.
 */
public final class InMemoryStateStore {

  private final Map<String, Object> entries = new ConcurrentHashMap<>();
  private final DaprClient client = mock(DaprClient.class);
  private volatile boolean reachable = true;

  @SuppressWarnings("unchecked")
  public InMemoryStateStore() {
    when(client.getState(anyString(), anyString(), eq(String.class))).thenAnswer(call -> available(() -> {
      String key = call.getArgument(1);
      Object value = entries.get(key);
      return Mono.just(value == null ? new State<String>(key) : new State<>(key, (String) value, (String) null));
    }));
    when(client.saveBulkState(anyString(), anyList())).thenAnswer(call -> available(() -> {
      for (State<?> state : (List<State<?>>) call.getArgument(1)) {
        if (entries.putIfAbsent(state.getKey(), state.getValue()) != null) {
          return Mono.error(new IllegalStateException("possible etag mismatch: " + state.getKey()));
        }
      }
      return Mono.empty();
    }));
    when(client.executeStateTransaction(anyString(), anyList())).thenAnswer(call -> available(() -> {
      for (var operation : (List<TransactionalStateOperation<?>>) call.getArgument(1)) {
        State<?> state = operation.getRequest();
        switch (operation.getOperation()) {
          case UPSERT -> entries.put(state.getKey(), state.getValue());
          case DELETE -> entries.remove(state.getKey());
        }
      }
      return Mono.empty();
    }));
    when(client.deleteState(anyString(), anyString())).thenAnswer(call -> available(() -> {
      entries.remove((String) call.getArgument(1));
      return Mono.empty();
    }));
  }

  public DaprClient client() {
    return client;
  }

  public void goDown() {
    reachable = false;
  }

  public void put(String key, String value) {
    entries.put(key, value);
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
