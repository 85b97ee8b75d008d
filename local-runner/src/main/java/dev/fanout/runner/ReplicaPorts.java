package dev.fanout.runner;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Collection;
import java.util.Set;

/**
 * Ports for the replicas beyond the first (the first has dapr.yaml's). Taken from 22000–29999: below Linux's
 * ephemeral range (32768–60999), where an outgoing connection can hold a port by the time its daprd comes to bind
 * it (a replica's daprd failed every restart on "could not listen on any endpoint" when these came from the kernel
 * as ephemeral ports), and clear of dapr.yaml's ports, also shifted by the end-to-end tests' offset
 * ({@link StackOptions#E2E_PORT_OFFSET}). Each stack starts at a random point of the range, so that two stacks side
 * by side seldom try the same ports, and skips any that something already listens on, those of the stack's own
 * first replicas (which may not listen yet; under another offset they can fall in the range), and those in this
 * machine's ephemeral range where that reaches below Linux's default (unless no others are left).
 */
final class ReplicaPorts {

  static final int FROM = 22_000;
  static final int TO = 30_000;

  private final EphemeralPorts ephemeral;
  private final Set<Integer> reserved;
  private int next;

  ReplicaPorts(int start, EphemeralPorts ephemeral, Collection<Integer> reserved) {
    if (start < FROM || start >= TO) {
      throw new IllegalArgumentException("start " + start + " outside " + FROM + "–" + (TO - 1));
    }
    this.next = start;
    this.ephemeral = ephemeral;
    this.reserved = Set.copyOf(reserved);
  }

  /**
   * The next port of the range that nothing listens on, outside the ephemeral range if any such is free; never the
   * same one twice.
   */
  synchronized int take() {
    for (boolean evenEphemeral : new boolean[] {false, true}) {
      for (int tried = 0; tried < TO - FROM; tried++) {
        int port = next;
        next = port + 1 < TO ? port + 1 : FROM;
        if (!reserved.contains(port) && (evenEphemeral || !ephemeral.contains(port)) && free(port)) {
          return port;
        }
      }
    }
    throw new IllegalStateException("no free port in " + FROM + "–" + (TO - 1));
  }

  /** On every address: daprd's metrics and internal gRPC servers listen on all of them, not on loopback only. */
  private static boolean free(int port) {
    try (var socket = new ServerSocket()) {
      socket.bind(new InetSocketAddress(port));
      return true;
    } catch (IOException taken) {
      return false;
    }
  }
}
