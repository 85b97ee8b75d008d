package dev.fanout.runner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The stack's life cycle where it meets a stop from outside (Ctrl-C, a shutdown hook) during start-up. */
class LocalStackTest {

  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

  @Test
  void startsNothingOnceClosed(@TempDir Path runDir) {
    var jar = ROOT.resolve("api-facade/target/api-facade.jar");
    assumeTrue(Files.isRegularFile(jar), "needs the apps' jars (./mvnw package), missing: " + jar);
    List<String> lines = new CopyOnWriteArrayList<>();
    // Far from the ports of scripts/run.sh and of the end-to-end stack, in case it did start.
    var stack = LocalStack.prepare(StackOptions.defaults(ROOT, (source, line) -> lines.add(source + " | " + line))
        .withRunDir(runDir).withPortOffset(7_000));
    try {
      stack.close(); // as a shutdown hook would, before start() got anywhere

      assertThatThrownBy(stack::start).isInstanceOf(IllegalStateException.class)
          .hasMessage("stopped while starting");
      assertThat(stack.pairs()).isEmpty();
      assertThat(runDir.resolve("redis")).doesNotExist();
    } finally {
      stack.close();
    }
  }
}
