package dev.fanout.subscriber;

import com.google.common.util.concurrent.MoreExecutors;
import com.google.protobuf.ByteString;
import com.google.protobuf.Empty;
import io.dapr.serializer.DefaultObjectSerializer;
import io.dapr.v1.CommonProtos;
import io.dapr.v1.DaprGrpc;
import io.dapr.v1.DaprProtos;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;

/**
 * daprd's state API as the subscribers call it (gRPC), served by a gRPC server in this JVM over a store kept in
 * memory, with daprd's Redis store's first-write-wins semantics: no daprd runs next to these tests. It can be taken
 * down, as a sidecar or Redis in trouble would be. Values are what went over the wire; {@link #put} and
 * {@link #valueOf} encode them as the SDK's client does, so the tests also hold the subscribers to reading and
 * writing records as earlier builds did through the SDK. Shared with the notification services' tests through this
 * module's test-jar.
 */
public final class InMemoryStateStore implements AutoCloseable {

  private static final DefaultObjectSerializer SDK_ENCODING = new DefaultObjectSerializer();

  /**
   * A stored value, whether it was ever written first-write-wins (daprd's Redis store keeps that flag per record),
   * its version, which daprd hands out as the ETag, and the TTL its last write asked for (none: null).
   */
  private record Entry(ByteString value, boolean firstWrite, long version, Duration ttl) {
  }

  private final Map<String, Entry> entries = new ConcurrentHashMap<>();
  private final Set<String> unreadable = ConcurrentHashMap.newKeySet();
  private final Map<String, Runnable> beforeNextSave = new ConcurrentHashMap<>();
  private final AtomicBoolean answerNextTransactionLate = new AtomicBoolean();
  private final AtomicReference<Supplier<List<String>>> lateTransaction = new AtomicReference<>(List::of);
  private final Server sidecar;
  private final ManagedChannel channel;
  private volatile boolean reachable = true;

  public InMemoryStateStore() {
    try {
      sidecar = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create()).addService(new StateApi())
          .build().start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    channel = Grpc.newChannelBuilderForAddress("127.0.0.1", sidecar.getPort(), InsecureChannelCredentials.create())
        .build();
  }

  /** A stub to this store, as the platform builds one to daprd: answers handled on gRPC's event loop. */
  public DaprGrpc.DaprStub stub() {
    return DaprGrpc.newStub(channel).withExecutor(MoreExecutors.directExecutor());
  }

  /** Where the store listens, for clients built from a port (the SDK's). */
  public int port() {
    return sidecar.getPort();
  }

  public void goDown() {
    reachable = false;
  }

  /** daprd will report this key, in bulk reads, as one it could not read. */
  public void makeUnreadable(String key) {
    unreadable.add(key);
  }

  /**
   * Runs {@code meanwhile} when the next bulk save or transaction that writes this key arrives, before it is applied:
   * what another client did between that writer's read and its write.
   */
  public void beforeNextSave(String key, Runnable meanwhile) {
    beforeNextSave.put(key, meanwhile);
  }

  /**
   * The next transaction is answered DEADLINE_EXCEEDED without being applied, as daprd answers a caller whose
   * deadline passed before Redis ran it; the returned action applies it, as Redis would when it got to it after all,
   * and tells the keys whose writes it refused. Once only: later, and before that transaction came, it does nothing.
   */
  public Supplier<List<String>> answerNextTransactionLate() {
    answerNextTransactionLate.set(true);
    return () -> lateTransaction.getAndSet(List::of).get();
  }

  /** A record written first-write-wins, as the subscribers write claims, its value encoded as the SDK does. */
  public void put(String key, String value) {
    entries.put(key, new Entry(ByteString.copyFrom(sdkEncoded(value)), true, 1, null));
  }

  /** The value under the key as the SDK's client would read it; null when there is none. */
  public String valueOf(String key) {
    Entry entry = entries.get(key);
    try {
      return entry == null ? null : SDK_ENCODING.deserialize(entry.value().toByteArray(), String.class);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public boolean contains(String key) {
    return entries.containsKey(key);
  }

  /** How long the record under the key lives after its last write (daprd's {@code ttlInSeconds}); null for ever. */
  public Duration ttlOf(String key) {
    Entry entry = entries.get(key);
    return entry == null ? null : entry.ttl();
  }

  public void clear() {
    entries.clear();
    unreadable.clear();
    beforeNextSave.clear();
    answerNextTransactionLate.set(false);
    lateTransaction.set(List::of);
    reachable = true;
  }

  @Override
  public void close() {
    channel.shutdownNow();
    sidecar.shutdownNow();
  }

  private static byte[] sdkEncoded(String value) {
    try {
      return SDK_ENCODING.serialize(value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * daprd's Redis store (its set script): a write goes through over no record, with the record's version as its
   * ETag, or without an ETag over a record never written first-write-wins. A last-write-wins write counts as one
   * without an ETag. A first-write-wins write marks its record so, except inside a transaction, which never does.
   */
  private boolean write(CommonProtos.StateItem item, boolean inTransaction) {
    var concurrency = item.getOptions().getConcurrency();
    String etag = item.hasEtag() ? item.getEtag().getValue() : "";
    boolean hasEtag = concurrency != CommonProtos.StateOptions.StateConcurrency.CONCURRENCY_LAST_WRITE
        && !etag.isEmpty();
    boolean marksFirstWrite = !inTransaction
        && concurrency == CommonProtos.StateOptions.StateConcurrency.CONCURRENCY_FIRST_WRITE;
    String ttlSeconds = item.getMetadataMap().get("ttlInSeconds");
    Duration ttl = ttlSeconds == null ? null : Duration.ofSeconds(Long.parseLong(ttlSeconds));
    var accepted = new AtomicBoolean();
    entries.compute(item.getKey(), (key, existing) -> {
      boolean goesThrough = existing == null
          || (hasEtag ? etag.equals(String.valueOf(existing.version())) : !existing.firstWrite());
      if (!goesThrough) {
        return existing;
      }
      accepted.set(true);
      return existing == null ? new Entry(item.getValue(), marksFirstWrite, 1, ttl)
          : new Entry(item.getValue(), marksFirstWrite || existing.firstWrite(), existing.version() + 1, ttl);
    });
    return accepted.get();
  }

  /** The state calls, answered as daprd answers them: an empty value and ETag for a missing key. */
  private final class StateApi extends DaprGrpc.DaprImplBase {

    @Override
    public void getState(DaprProtos.GetStateRequest request,
        StreamObserver<DaprProtos.GetStateResponse> answer) {
      answer(answer, () -> {
        Entry entry = entries.get(request.getKey());
        var found = DaprProtos.GetStateResponse.newBuilder();
        if (entry != null) {
          found.setData(entry.value()).setEtag(String.valueOf(entry.version()));
        }
        return found.build();
      });
    }

    @Override
    public void getBulkState(DaprProtos.GetBulkStateRequest request,
        StreamObserver<DaprProtos.GetBulkStateResponse> answer) {
      answer(answer, () -> {
        var found = DaprProtos.GetBulkStateResponse.newBuilder();
        for (String key : request.getKeysList()) {
          Entry entry = entries.get(key);
          var item = DaprProtos.BulkStateItem.newBuilder().setKey(key);
          if (unreadable.contains(key)) {
            item.setError("redis: connection pool timeout");
          } else if (entry != null) {
            item.setData(entry.value()).setEtag(String.valueOf(entry.version()));
          }
          found.addItems(item);
        }
        return found.build();
      });
    }

    /** Like daprd's bulk save: every write is tried; one refused fails the call, the others stay written. */
    @Override
    public void saveState(DaprProtos.SaveStateRequest request, StreamObserver<Empty> answer) {
      runBeforeWriting(request.getStatesList());
      answer(answer, () -> refusedUnless(request.getStatesList().stream().filter(item -> !write(item, false))
          .map(CommonProtos.StateItem::getKey).toList()));
    }

    /** Like daprd's Redis transaction (a pipeline, no rollback): one refused write fails the call, the rest is done. */
    @Override
    public void executeStateTransaction(DaprProtos.ExecuteStateTransactionRequest request,
        StreamObserver<Empty> answer) {
      if (answerNextTransactionLate.compareAndSet(true, false)) {
        lateTransaction.set(() -> apply(request));
        answer.onError(Status.DEADLINE_EXCEEDED.withDescription("context deadline exceeded").asRuntimeException());
        return;
      }
      runBeforeWriting(request.getOperationsList().stream().map(DaprProtos.TransactionalStateOperation::getRequest)
          .toList());
      answer(answer, () -> refusedUnless(apply(request)));
    }

    private void runBeforeWriting(List<CommonProtos.StateItem> items) {
      items.stream().map(item -> beforeNextSave.remove(item.getKey())).filter(Objects::nonNull)
          .forEach(Runnable::run);
    }

    /** The transaction's writes, in order; the keys of those refused. */
    private List<String> apply(DaprProtos.ExecuteStateTransactionRequest request) {
      var refused = new ArrayList<String>();
      for (var operation : request.getOperationsList()) {
        var item = operation.getRequest();
        switch (operation.getOperationType()) {
          case "upsert" -> {
            if (!write(item, true)) {
              refused.add(item.getKey());
            }
          }
          case "delete" -> entries.remove(item.getKey());
          default -> throw Status.INVALID_ARGUMENT
              .withDescription("unsupported operation type " + operation.getOperationType()).asRuntimeException();
        }
      }
      return refused;
    }

    @Override
    public void deleteState(DaprProtos.DeleteStateRequest request, StreamObserver<Empty> answer) {
      answer(answer, () -> {
        entries.remove(request.getKey());
        return Empty.getDefaultInstance();
      });
    }

    private static Empty refusedUnless(List<String> refused) {
      if (!refused.isEmpty()) {
        throw Status.ABORTED.withDescription("possible etag mismatch: " + refused).asRuntimeException();
      }
      return Empty.getDefaultInstance();
    }

    private <T> void answer(StreamObserver<T> answer, Supplier<T> call) {
      if (!reachable) {
        answer.onError(Status.UNAVAILABLE.withDescription("io exception").asRuntimeException());
        return;
      }
      try {
        answer.onNext(call.get());
        answer.onCompleted();
      } catch (RuntimeException refused) {
        answer.onError(refused);
      }
    }
  }

  /** Gives a Spring test context this store and a stub to it: {@code @Import(InMemoryStateStore.Beans.class)}. */
  @TestConfiguration(proxyBeanMethods = false)
  public static class Beans {

    @Bean
    InMemoryStateStore inMemoryStateStore() {
      return new InMemoryStateStore();
    }

    @Bean
    DaprGrpc.DaprStub daprStub(InMemoryStateStore stateStore) {
      return stateStore.stub();
    }
  }
}
