package dev.fanout.runner;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EphemeralPortsTest {

  @TempDir
  Path dir;

  @Test
  void readsTheRangeAsTheKernelWritesIt() throws IOException {
    var file = Files.writeString(dir.resolve("ip_local_port_range"), "1024\t65535\n");

    assertThat(EphemeralPorts.read(file)).isEqualTo(new EphemeralPorts(1024, 65_535));
  }

  @Test
  void takesLinuxsDefaultWhereTheRangeCannotBeRead() throws IOException {
    var garbled = Files.writeString(dir.resolve("garbled"), "n/a");

    assertThat(EphemeralPorts.read(dir.resolve("missing"))).isEqualTo(EphemeralPorts.LINUX_DEFAULT);
    assertThat(EphemeralPorts.read(garbled)).isEqualTo(EphemeralPorts.LINUX_DEFAULT);
  }

  @Test
  void namesThePortsInsideTheRangeBothEndsIncluded() {
    var range = new EphemeralPorts(32_768, 60_999);

    assertThat(range.within(List.of(8080, 32_767, 32_768, 45_000, 60_999, 61_000))).containsExactly(32_768, 45_000,
        60_999);
  }
}
