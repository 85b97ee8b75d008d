package dev.fanout.subscriber;

import static org.mockito.ArgumentMatchers.anyList;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import io.dapr.client.DaprClient;
import io.dapr.client.domain.State;
import io.dapr.client.domain.StateOptions;
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

  /**
   * A stored value, whether it was ever written first-write-wins (daprd's Redis store keeps that flag per record)
   * and its version, which daprd hands out as the ETag.
   */
  private record Entry(Object value, boolean firstWrite, long version) {
  }

  private final Map<String, Entry> entries = new ConcurrentHashMap<>();
  private final DaprClient client = mock(DaprClient.class);
  private volatile boolean reachable = true;

  @SuppressWarnings("unchecked")
  public InMemoryStateStore() {
    when(client.getState(anyString(), anyString(), eq(String.class))).thenAnswer(call -> available(() ->
        Mono.just(read(call.getArgument(1)))));
    when(client.getBulkState(anyString(), anyList(), eq(String.class))).thenAnswer(call -> available(() ->
        Mono.just(((List<String>) call.getArgument(1)).stream().map(this::read).toList())));
    // Like daprd's bulk save: every write is tried; one refused fails the call, the others stay written.
    when(client.saveBulkState(anyString(), anyList())).thenAnswer(call -> available(() -> {
      List<String> refused = ((List<State<?>>) call.getArgument(1)).stream().filter(state -> !write(state, false))
          .map(State::getKey).toList();
      return refused.isEmpty() ? Mono.<Void>empty()
          : Mono.<Void>error(new IllegalStateException("possible etag mismatch: " + refused));
    }));
    // Like daprd's Redis transaction (a pipeline, no rollback): one refused write fails the call, the rest is done.
    when(client.executeStateTransaction(anyString(), anyList())).thenAnswer(call -> available(() -> {
      var refused = new java.util.ArrayList<String>();
      for (var operation : (List<TransactionalStateOperation<?>>) call.getArgument(1)) {
        State<?> state = operation.getRequest();
        switch (operation.getOperation()) {
          case UPSERT -> {
            if (!write(state, true)) {
              refused.add(state.getKey());
            }
          }
          case DELETE -> entries.remove(state.getKey());
        }
      }
      return refused.isEmpty() ? Mono.<Void>empty()
          : Mono.<Void>error(new IllegalStateException("possible etag mismatch: " + refused));
    }));
    when(client.deleteState(anyString(), anyString())).thenAnswer(call -> available(() -> {
      entries.remove((String) call.getArgument(1));
      return Mono.empty();
    }));
  }

  private State<String> read(String key) {
    Entry entry = entries.get(key);
    return entry == null ? new State<>(key)
        : new State<>(key, (String) entry.value(), String.valueOf(entry.version()));
  }

  /**
   * daprd's Redis store (its set script): a write goes through over no record, with the record's version as its
   * ETag, or without an ETag over a record never written first-write-wins. A last-write-wins write counts as one
   * without an ETag. A first-write-wins write marks its record so, except inside a transaction, which never does.
   */
  private boolean write(State<?> state, boolean inTransaction) {
    var concurrency = state.getOptions() == null ? null : state.getOptions().getConcurrency();
    boolean hasEtag = concurrency != StateOptions.Concurrency.LAST_WRITE
        && state.getEtag() != null && !state.getEtag().isEmpty();
    boolean marksFirstWrite = !inTransaction && concurrency == StateOptions.Concurrency.FIRST_WRITE;
    var accepted = new java.util.concurrent.atomic.AtomicBoolean();
    entries.compute(state.getKey(), (key, existing) -> {
      boolean goesThrough = existing == null
          || (hasEtag ? state.getEtag().equals(String.valueOf(existing.version())) : !existing.firstWrite());
      if (!goesThrough) {
        return existing;
      }
      accepted.set(true);
      return existing == null ? new Entry(state.getValue(), marksFirstWrite, 1)
          : new Entry(state.getValue(), marksFirstWrite || existing.firstWrite(), existing.version() + 1);
    });
    return accepted.get();
  }

  public DaprClient client() {
    return client;
  }

  public void goDown() {
    reachable = false;
  }

  /** A record written first-write-wins, as the subscribers write claims. */
  public void put(String key, String value) {
    entries.put(key, new Entry(value, true, 1));
  }

  public String valueOf(String key) {
    Entry entry = entries.get(key);
    return entry == null ? null : (String) entry.value();
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
