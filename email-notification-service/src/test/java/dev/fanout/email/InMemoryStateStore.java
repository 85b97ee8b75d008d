package dev.fanout.email;

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
import java.util.function.Supplier;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import reactor.core.publisher.Mono;

/**
 * The Dapr state store behind the {@link DaprClient} calls subscriber-support's idempotency record makes, kept in
 * memory, with daprd's first-write-wins semantics: no daprd runs next to these tests. Import {@link Beans} to
 * have the application use it instead of its client to the (absent) sidecar.
 */
final class InMemoryStateStore {

  private final Map<String, Object> entries = new ConcurrentHashMap<>();
  private final DaprClient client = mock(DaprClient.class);

  @SuppressWarnings("unchecked")
  InMemoryStateStore() {
    when(client.getState(anyString(), anyString(), eq(String.class))).thenAnswer(call -> lazily(() -> {
      String key = call.getArgument(1);
      Object value = entries.get(key);
      return Mono.just(value == null ? new State<String>(key) : new State<>(key, (String) value, (String) null));
    }));
    when(client.saveBulkState(anyString(), anyList())).thenAnswer(call -> lazily(() -> {
      for (State<?> state : (List<State<?>>) call.getArgument(1)) {
        if (entries.putIfAbsent(state.getKey(), state.getValue()) != null) {
          return Mono.error(new IllegalStateException("possible etag mismatch: " + state.getKey()));
        }
      }
      return Mono.empty();
    }));
    when(client.executeStateTransaction(anyString(), anyList())).thenAnswer(call -> lazily(() -> {
      for (var operation : (List<TransactionalStateOperation<?>>) call.getArgument(1)) {
        State<?> state = operation.getRequest();
        switch (operation.getOperation()) {
          case UPSERT -> entries.put(state.getKey(), state.getValue());
          case DELETE -> entries.remove(state.getKey());
        }
      }
      return Mono.empty();
    }));
    when(client.deleteState(anyString(), anyString())).thenAnswer(call -> lazily(() -> {
      entries.remove((String) call.getArgument(1));
      return Mono.empty();
    }));
  }

  DaprClient client() {
    return client;
  }

  /** Like the real client: nothing reaches the store until the caller subscribes. */
  private static <T> Mono<T> lazily(Supplier<Mono<T>> operation) {
    return Mono.defer(operation);
  }

  @TestConfiguration(proxyBeanMethods = false)
  static class Beans {

    @Bean
    InMemoryStateStore inMemoryStateStore() {
      return new InMemoryStateStore();
    }

    @Bean
    DaprClient daprClient(InMemoryStateStore stateStore) {
      return stateStore.client();
    }
  }
}
