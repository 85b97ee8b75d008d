package dev.fanout.runner;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The repository's own dapr.yaml, read as the runner reads it: the topology compose also describes. */
class TopologyTest {

  private final Topology topology = Topology.read(Path.of("..").toAbsolutePath().normalize());

  @Test
  void readsTheThreeServicesWithTheirAppIdsAndPorts() {
    assertThat(topology.apps()).extracting(AppSpec::appId)
        .containsExactly("api-facade", "email-notification-service", "push-notification-service");
    var facade = topology.app("api-facade");
    assertThat(facade.appPort()).isEqualTo(8080);
    assertThat(facade.subscribes()).as("daprd needs no channel to a pure publisher").isFalse();
    assertThat(facade.jar()).hasFileName("api-facade.jar");
    var email = topology.app("email-notification-service");
    assertThat(email.channelPort()).isEqualTo(8081);
    assertThat(email.daprHttpPort()).isEqualTo(3501);
    assertThat(email.env()).containsEntry("STOP_ORDER", "sidecar-first");
  }

  @Test
  void findsRedisAndPlacementInTheCommonEnvironment() {
    assertThat(topology.redis()).hasToString("127.0.0.1:6380");
    assertThat(topology.placement()).hasToString("127.0.0.1:50005");
    assertThat(topology.resourcesPath()).endsWith(Path.of("components"));
  }
}
