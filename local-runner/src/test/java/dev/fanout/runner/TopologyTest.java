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
    assertThat(topology.placement()).hasToString("127.0.0.1:20005");
    assertThat(topology.resourcesPath()).endsWith(Path.of("components"));
  }

  /**
   * Linux hands out 32768–60999 to outgoing connections; a listening port in that range can be held by one when
   * its process comes to bind it (the end-to-end stack lost every test to that once). The end-to-end tests shift
   * every port by StackOptions.E2E_PORT_OFFSET, so they must stay outside it shifted too.
   */
  @Test
  void listensOnNoPortTheKernelMayHaveGivenToAnOutgoingConnection() {
    int e2eOffset = StackOptions.E2E_PORT_OFFSET;
    assertThat(topology.ports()).hasSize(1 + 4 + 5 * 3); // Redis, placement, three services
    var linux = EphemeralPorts.LINUX_DEFAULT;
    assertThat(linux.within(topology.ports())).as("ports in the ephemeral range").isEmpty();
    assertThat(linux.within(topology.ports().stream().map(port -> port + e2eOffset).toList()))
        .as("ports in the ephemeral range once shifted for the end-to-end tests").isEmpty();
  }
}
