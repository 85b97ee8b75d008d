package dev.fanout.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.channel.epoll.Epoll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The apps' one Netty (Reactor Netty's server, gRPC's client) runs on epoll, not NIO, wherever the images run. */
class NativeTransportTest {

  @ParameterizedTest
  @ValueSource(strings = {"x86_64", "aarch_64"})
  void carriesEpollsNativeLibraryForEachArchitectureTheImagesRunOn(String arch) {
    var library = "META-INF/native/libnetty_transport_native_epoll_" + arch + ".so";

    assertThat(getClass().getClassLoader().getResource(library)).as(library).isNotNull();
  }

  @Test
  void loadsEpollOnThisMachine() {
    var os = System.getProperty("os.name");
    assumeTrue(os.equals("Linux"), "epoll is Linux's; this is " + os);

    assertThat(Epoll.isAvailable()).as("epoll unavailable: %s", Epoll.unavailabilityCause()).isTrue();
  }
}
