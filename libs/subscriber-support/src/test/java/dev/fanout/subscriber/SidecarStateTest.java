package dev.fanout.subscriber;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fanout.subscriber.SidecarState.Write;
import io.dapr.client.DaprClient;
import io.dapr.client.DaprClientBuilder;
import io.dapr.config.Properties;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

/** The subscribers' state calls over gRPC, against {@link InMemoryStateStore}'s stand-in for daprd. */
class SidecarStateTest {

  static final InMemoryStateStore daprd = new InMemoryStateStore();
  static final SidecarState state = new SidecarState(IdempotencyStore.STORE, daprd.stub());
  static final DaprClient sdk = new DaprClientBuilder()
      .withPropertyOverride(Properties.SIDECAR_IP, "127.0.0.1")
      .withPropertyOverride(Properties.GRPC_PORT, String.valueOf(daprd.port()))
      .build();

  @AfterAll
  static void close() throws Exception {
    sdk.close();
    daprd.close();
  }

  /** Records outlive a deployment: a build must read what the one before it wrote through the SDK, and back. */
  @Test
  void readsWhatTheSdkClientWroteAndWritesWhatItReads() {
    String awkward = "a \"quoted\" reason\nover two lines, with é and \\";
    sdk.saveState(IdempotencyStore.STORE, "dropped|evt-1", awkward).block();
    assertThat(state.get("dropped|evt-1").block().value()).isEqualTo(awkward);
    assertThat(state.getAll(List.of("dropped|evt-1")).block()).singleElement()
        .satisfies(record -> assertThat(record.value()).isEqualTo(awkward));

    state.upsertAll(List.of(new Write("claim|evt-2", awkward, null, Duration.ofMinutes(1), false))).block();
    state.saveAll(List.of(new Write("claim|evt-3", awkward, null, Duration.ofMinutes(1), true))).block();
    assertThat(sdk.getState(IdempotencyStore.STORE, "claim|evt-2", String.class).block().getValue())
        .isEqualTo(awkward);
    assertThat(sdk.getState(IdempotencyStore.STORE, "claim|evt-3", String.class).block().getValue())
        .isEqualTo(awkward);
  }

  @Test
  void readsAMissingRecordAsNoValueAndNoEtag() {
    assertThat(state.get("done|never-written").block()).satisfies(record -> {
      assertThat(record.value()).isNull();
      assertThat(record.etag()).isNull();
    });
  }

  /** Taking a key daprd could not read for a missing record could let a handled event's claim be taken over. */
  @Test
  void failsABulkReadWhenDaprdCouldNotReadOneOfItsKeys() {
    daprd.put("done|evt-4", "done");
    daprd.makeUnreadable("done|evt-5");

    StepVerifier.create(state.getAll(List.of("done|evt-4", "done|evt-5")))
        .expectErrorSatisfies(failure -> assertThat(failure).hasMessageContaining("done|evt-5"))
        .verify(Duration.ofSeconds(5));
  }
}
