package dev.fanout.runner;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReplicaPortsTest {

  @Test
  void takesItsPortsBelowTheEphemeralRangeAndClearOfDaprYamls() {
    var topology = Topology.read(Path.of("..").toAbsolutePath().normalize());
    assertThat(ReplicaPorts.TO).isLessThanOrEqualTo(EphemeralPorts.LINUX_DEFAULT.from());
    assertThat(topology.ports())
        .as("dapr.yaml's ports, as they are and shifted by the end-to-end tests' offset")
        .noneMatch(port -> inRange(port) || inRange(port + StackOptions.E2E_PORT_OFFSET));
  }

  @Test
  void neverGivesAPortTwiceAndWrapsAroundTheEndOfTheRange() {
    var ports = new ReplicaPorts(ReplicaPorts.TO - 10, EphemeralPorts.LINUX_DEFAULT, List.of());
    List<Integer> taken = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      taken.add(ports.take());
    }
    assertThat(taken).doesNotHaveDuplicates()
        .allSatisfy(port -> assertThat(port).isBetween(ReplicaPorts.FROM, ReplicaPorts.TO - 1))
        .anySatisfy(port -> assertThat(port).isLessThan(ReplicaPorts.TO - 10));
  }

  @Test
  void skipsAPortSomethingListensOn() throws IOException {
    int busy = new ReplicaPorts(ReplicaPorts.FROM, EphemeralPorts.LINUX_DEFAULT, List.of()).take();
    try (var listener = new ServerSocket()) {
      listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), busy)); // loopback only, as daprd's APIs
      assertThat(new ReplicaPorts(busy, EphemeralPorts.LINUX_DEFAULT, List.of()).take()).isNotEqualTo(busy);
    }
  }

  @Test
  void neverGivesAPortOfTheStacksOwnFirstReplicasThoughNothingListensThereYet() {
    // dapr.yaml's ports under --port-offset 2000: push's daprd gRPC port 20003 becomes 22003, in the range.
    var ports = new ReplicaPorts(22_003, EphemeralPorts.LINUX_DEFAULT, List.of(22_003, 22_004));

    assertThat(ports.take()).isNotIn(22_003, 22_004);
  }

  @Test
  void keepsOutOfAnEphemeralRangeSetLowerThanLinuxsDefault() {
    var ports = new ReplicaPorts(ReplicaPorts.FROM, new EphemeralPorts(ReplicaPorts.FROM, 25_999), List.of());

    assertThat(ports.take()).isBetween(26_000, ReplicaPorts.TO - 1);
  }

  @Test
  void stillGivesPortsWhenTheEphemeralRangeCoversThemAll() {
    var ports = new ReplicaPorts(ReplicaPorts.FROM, new EphemeralPorts(1024, 65_535), List.of());

    assertThat(ports.take()).isBetween(ReplicaPorts.FROM, ReplicaPorts.TO - 1);
  }

  private static boolean inRange(int port) {
    return port >= ReplicaPorts.FROM && port < ReplicaPorts.TO;
  }
}
