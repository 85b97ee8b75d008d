package dev.fanout.subscriber;

import com.google.protobuf.ByteString;
import com.google.protobuf.Empty;
import io.dapr.serializer.DefaultObjectSerializer;
import io.dapr.v1.CommonProtos;
import io.dapr.v1.DaprGrpc;
import io.dapr.v1.DaprProtos;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;

/**
 * The state calls {@link IdempotencyStore} makes, on daprd's gRPC API through the stub the platform builds (the
 * API token, the configured timeout as deadline), with the answers handled on gRPC's event loop. The SDK's
 * {@code DaprClient} hands each answer to gRPC's executor instead, a thread switch per call, two per delivery
 * (BENCHMARKS.md, round 15).
 *
 * <p>Values are encoded as the SDK's client encodes a {@code String} (its default serializer: a JSON string), so
 * records written by builds that saved them through the SDK read the same, and the other way round.
 */
final class SidecarState {

  private static final DefaultObjectSerializer SDK_ENCODING = new DefaultObjectSerializer();

  private static final CommonProtos.StateOptions FIRST_WRITE = CommonProtos.StateOptions.newBuilder()
      .setConcurrency(CommonProtos.StateOptions.StateConcurrency.CONCURRENCY_FIRST_WRITE)
      .setConsistency(CommonProtos.StateOptions.StateConsistency.CONSISTENCY_STRONG)
      .build();

  /** A record as read: its value is null when there is none, and so is its ETag. */
  record Record(String key, String value, String etag) {
  }

  /**
   * A record to write, for {@code ttl}. First-write-wins with an ETag writes only over that version of the record;
   * without one, only where no record is or where none was written first-write-wins. Last-write-wins (the default of
   * daprd's Redis store) ignores the ETag.
   */
  record Write(String key, String value, String etag, Duration ttl, boolean firstWrite) {
  }

  private final String store;
  private final DaprGrpc.DaprStub dapr;

  SidecarState(String store, DaprGrpc.DaprStub dapr) {
    this.store = store;
    this.dapr = dapr;
  }

  Mono<Record> get(String key) {
    var request = DaprProtos.GetStateRequest.newBuilder().setStoreName(store).setKey(key).build();
    return SidecarState.<DaprProtos.GetStateResponse>call(answer -> dapr.getState(request, answer))
        .map(found -> record(key, found.getData(), found.getEtag()));
  }

  /**
   * The records under these keys, in no particular order. A key daprd could not read fails the whole call: taken for
   * a missing record, it could let a claim be taken over whose event was handled.
   */
  Mono<List<Record>> getAll(Collection<String> keys) {
    var request = DaprProtos.GetBulkStateRequest.newBuilder().setStoreName(store).addAllKeys(keys).build();
    return SidecarState.<DaprProtos.GetBulkStateResponse>call(answer -> dapr.getBulkState(request, answer))
        .handle((found, sink) -> {
          for (var item : found.getItemsList()) {
            if (!item.getError().isEmpty()) {
              sink.error(new IllegalStateException("state key " + item.getKey() + " unreadable: " + item.getError()));
              return;
            }
          }
          sink.next(found.getItemsList().stream().map(item -> record(item.getKey(), item.getData(), item.getEtag()))
              .toList());
        });
  }

  /**
   * The writes as one transaction, which daprd's Redis store sends in one round trip. A refused write fails the
   * call, but the others stay written: Redis has no rollback.
   */
  Mono<Void> upsertAll(Collection<Write> writes) {
    var request = DaprProtos.ExecuteStateTransactionRequest.newBuilder().setStoreName(store);
    for (Write write : writes) {
      request.addOperations(DaprProtos.TransactionalStateOperation.newBuilder()
          .setOperationType("upsert").setRequest(item(write)));
    }
    var transaction = request.build();
    return SidecarState.<Empty>call(answer -> dapr.executeStateTransaction(transaction, answer)).then();
  }

  /** The writes as a bulk save: each one tried, key by key; one refused fails the call, the others stay written. */
  Mono<Void> saveAll(Collection<Write> writes) {
    var request = DaprProtos.SaveStateRequest.newBuilder().setStoreName(store);
    writes.forEach(write -> request.addStates(item(write)));
    var save = request.build();
    return SidecarState.<Empty>call(answer -> dapr.saveState(save, answer)).then();
  }

  private static CommonProtos.StateItem item(Write write) {
    var item = CommonProtos.StateItem.newBuilder()
        .setKey(write.key())
        .setValue(encode(write.value()))
        .putMetadata("ttlInSeconds", String.valueOf(write.ttl().toSeconds()));
    if (write.etag() != null) {
      item.setEtag(CommonProtos.Etag.newBuilder().setValue(write.etag()));
    }
    if (write.firstWrite()) {
      item.setOptions(FIRST_WRITE);
    }
    return item.build();
  }

  static ByteString encode(String value) {
    try {
      return ByteString.copyFrom(SDK_ENCODING.serialize(value));
    } catch (IOException unexpected) {
      throw new UncheckedIOException(unexpected);
    }
  }

  static String decode(ByteString data) {
    try {
      return data.isEmpty() ? null : SDK_ENCODING.deserialize(data.toByteArray(), String.class);
    } catch (IOException unreadable) {
      throw new UncheckedIOException(unreadable);
    }
  }

  private static Record record(String key, ByteString data, String etag) {
    return new Record(key, decode(data), etag.isEmpty() ? null : etag);
  }

  /** One unary call, started on subscription; its answer (or error) completes the Mono on gRPC's event loop. */
  private static <T> Mono<T> call(Consumer<StreamObserver<T>> start) {
    return Mono.create(sink -> start.accept(new Answer<>(sink)));
  }

  private record Answer<T>(MonoSink<T> sink) implements StreamObserver<T> {

    @Override
    public void onNext(T value) {
      sink.success(value);
    }

    @Override
    public void onError(Throwable failure) {
      sink.error(failure);
    }

    @Override
    public void onCompleted() {
      sink.success(); // ignored after onNext's; unary calls always answer with one value
    }
  }
}
