package dev.fanout.runner;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ReplicaPortsTest {

  @Test
  void givesDistinctPortsBelowTheEphemeralRangeAndNoneOfDaprYamls() {
    var topology = Topology.read(Path.of("..").toAbsolutePath().normalize());
    Set<Integer> dapr = new HashSet<>();
    for (int port : topology.ports()) {
      dapr.add(port);
      dapr.add(port + 11_000); // the end-to-end tests' offset
    }
    var ports = new ReplicaPorts(ReplicaPorts.TO - 10); // wraps around the end of the range
    List<Integer> taken = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      taken.add(ports.take());
    }

    assertThat(taken).doesNotHaveDuplicates().allSatisfy(port -> assertThat(port).isBetween(1024, 32767));
    assertThat(taken).doesNotContainAnyElementsOf(dapr);
    assertThat(taken).contains(ReplicaPorts.FROM);
  }

  @Test
  void skipsAPortSomethingListensOn() throws IOException {
    int busy = new ReplicaPorts(ReplicaPorts.FROM).take();
    try (var listener = new ServerSocket()) {
      listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), busy));
      assertThat(new ReplicaPorts(busy).take()).isNotEqualTo(busy);
    }
  }
}
