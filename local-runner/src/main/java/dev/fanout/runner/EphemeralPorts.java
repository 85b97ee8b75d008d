package dev.fanout.runner;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;

/**
 * The kernel's range for the local ports of outgoing connections ({@code ip_local_port_range}). A server port in it
 * can be held by some connection by the time its server comes to bind it: a replica's daprd failed every restart on
 * "could not listen on any endpoint" that way. The stack's ports are chosen outside Linux's default range; this says
 * whether they are outside this machine's.
 *
 * @param from the range's first port
 * @param to the range's last port (inclusive, as the kernel writes it)
 */
record EphemeralPorts(int from, int to) {

  static final Path KERNEL_RANGE = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
  static final EphemeralPorts LINUX_DEFAULT = new EphemeralPorts(32_768, 60_999);

  static EphemeralPorts ofThisMachine() {
    return read(KERNEL_RANGE);
  }

  /** The range in the kernel's file ("32768\t60999"); Linux's default where it cannot be read. */
  static EphemeralPorts read(Path file) {
    try {
      String[] bounds = Files.readString(file).trim().split("\\s+");
      return new EphemeralPorts(Integer.parseInt(bounds[0]), Integer.parseInt(bounds[1]));
    } catch (IOException | RuntimeException unreadable) {
      return LINUX_DEFAULT;
    }
  }

  boolean contains(int port) {
    return port >= from && port <= to;
  }

  /** Those of the ports that lie in the range, in their order. */
  List<Integer> within(Collection<Integer> ports) {
    return ports.stream().filter(this::contains).toList();
  }

  @Override
  public String toString() {
    return from + "–" + to;
  }
}
