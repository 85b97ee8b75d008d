package dev.fanout.platform.logging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class BatchingConsoleAppenderTest {

  /** Standard output as the appender sees it: what was written, in how many writes; can hold the first write. */
  static class Console extends OutputStream {
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    final List<byte[]> eachWrite = new ArrayList<>();
    final AtomicInteger writes = new AtomicInteger();
    volatile CountDownLatch firstWriteGate = new CountDownLatch(0);
    final CountDownLatch firstWriteWaiting = new CountDownLatch(1);

    @Override
    public void write(int b) {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) {
      if (firstWriteWaiting.getCount() > 0) {
        firstWriteWaiting.countDown();
        try {
          firstWriteGate.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      synchronized (this) {
        bytes.write(b, off, len);
        eachWrite.add(Arrays.copyOfRange(b, off, off + len));
      }
      writes.incrementAndGet();
    }

    synchronized List<byte[]> eachWrite() {
      return List.copyOf(eachWrite);
    }

    synchronized List<String> lines() {
      return bytes.toString(StandardCharsets.UTF_8).lines().toList();
    }
  }

  private final LoggerContext context = new LoggerContext();
  private final Logger logger = context.getLogger("test");
  private final Console console = new Console();
  private final BatchingConsoleAppender appender = new BatchingConsoleAppender();
  private PrintStream originalOut;

  @BeforeEach
  void start() {
    context.setMDCAdapter(new LogbackMDCAdapter()); // what the SLF4J binding gives the real context
    originalOut = System.out;
    System.setOut(new PrintStream(console, true, StandardCharsets.UTF_8));
    var encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern("%msg%n");
    encoder.start();
    appender.setContext(context);
    appender.setEncoder(encoder);
    appender.start();
  }

  @AfterEach
  void restore() {
    appender.stop();
    System.setOut(originalOut);
  }

  /** Stopping writes nothing when nothing is queued: the console's first write is still the next one. */
  private void restartWith(Consumer<BatchingConsoleAppender> settings) {
    appender.stop();
    settings.accept(appender);
    appender.start();
  }

  private void log(String message) {
    appender.doAppend(new LoggingEvent("test", logger, Level.INFO, message, null, null));
  }

  @Test
  void writesALoneLineWithinItsInterval() {
    log("alone");

    await().atMost(Duration.ofSeconds(5)).until(() -> console.lines().equals(List.of("alone")));
  }

  @Test
  void writesTheLinesThatWaitedWhileItWroteInOneWrite() throws InterruptedException {
    console.firstWriteGate = new CountDownLatch(1);
    log("first");
    assertThat(console.firstWriteWaiting.await(5, TimeUnit.SECONDS)).isTrue();
    IntStream.rangeClosed(1, 100).forEach(i -> log("waiting " + i));

    console.firstWriteGate.countDown();

    await().atMost(Duration.ofSeconds(5)).until(() -> console.lines().size() == 101);
    assertThat(console.lines()).containsExactlyElementsOf(
        IntStream.rangeClosed(0, 100).mapToObj(i -> i == 0 ? "first" : "waiting " + i).toList());
    assertThat(console.writes).hasValue(2); // "first", then the hundred that queued behind it
  }

  @Test
  void cutsItsWritesAtLineEndsToWhatAPipeKeepsInOnePiece() throws InterruptedException {
    console.firstWriteGate = new CountDownLatch(1);
    log("first");
    assertThat(console.firstWriteWaiting.await(5, TimeUnit.SECONDS)).isTrue();
    var expected = new ArrayList<>(List.of("first"));
    for (int i = 1; i <= 200; i++) { // ~100 bytes each: five pipe-sized writes and more
      expected.add("waiting " + i + " " + "x".repeat(90));
    }
    expected.add("y".repeat(BatchingConsoleAppender.MAX_WRITE + 100));
    expected.subList(1, expected.size()).forEach(this::log);

    console.firstWriteGate.countDown();

    await().atMost(Duration.ofSeconds(5)).until(() -> console.lines().size() == expected.size());
    assertThat(console.lines()).containsExactlyElementsOf(expected);
    List<byte[]> writes = console.eachWrite();
    assertThat(writes).hasSizeGreaterThan(6);
    for (byte[] write : writes) {
      String written = new String(write, StandardCharsets.UTF_8);
      assertThat(written).endsWith("\n");
      if (write.length > BatchingConsoleAppender.MAX_WRITE) { // a line that long alone, whole
        assertThat(written).isEqualTo(expected.get(expected.size() - 1) + "\n");
      }
    }
  }

  @Test
  void losesNoLineOfManyThreadsAndKeepsEachThreadsOrder() throws InterruptedException {
    var threads = IntStream.range(0, 4).mapToObj(t -> new Thread(() -> {
      for (int i = 0; i < 5000; i++) { // more than the queue holds: loggers must wait, not drop
        log(t + ":" + i);
      }
    })).toList();
    threads.forEach(Thread::start);
    for (Thread thread : threads) {
      thread.join();
    }

    await().atMost(Duration.ofSeconds(10)).until(() -> console.lines().size() == 20_000);
    for (int t = 0; t < 4; t++) {
      String prefix = t + ":";
      assertThat(console.lines().stream().filter(line -> line.startsWith(prefix)))
          .containsExactlyElementsOf(IntStream.range(0, 5000).mapToObj(i -> prefix + i).toList());
    }
  }

  /** A line that is an effect (the default email and push senders') counts once it is out, not once it is queued. */
  @Test
  void saysALineIsWrittenOnlyOnceItIsOnStandardOutput() throws InterruptedException {
    console.firstWriteGate = new CountDownLatch(1);
    log("the email");
    CompletableFuture<Void> written = BatchingConsoleAppender.whenWritten();
    assertThat(console.firstWriteWaiting.await(5, TimeUnit.SECONDS)).isTrue(); // the writer holds the line

    assertThat(written).isNotDone();

    console.firstWriteGate.countDown();
    assertThat(written).succeedsWithin(Duration.ofSeconds(5));
    assertThat(console.lines()).containsExactly("the email");
  }

  /** A subscriber does not answer a delivery before its effects are out, and daprd holds back the next ones. */
  @Test
  void wakesTheWriterForWhoeverWaitsOnALineInsteadOfLettingItWaitForTheInterval() {
    restartWith(appender -> appender.setIntervalMs(Duration.ofHours(1).toMillis()));
    log("the email");

    assertThat(BatchingConsoleAppender.whenWritten()).succeedsWithin(Duration.ofSeconds(5));
    assertThat(console.lines()).containsExactly("the email");
  }

  /**
   * The writer's other waits (for the queue's lock, while loggers put) must not swallow a waiter's wake-up, and
   * loggers that fill the queue must not wait for the interval either.
   */
  @Test
  void answersEveryWaiterWhileOthersLogWithoutLettingAnyWaitForTheInterval() throws Exception {
    restartWith(appender -> appender.setIntervalMs(Duration.ofHours(1).toMillis()));
    var loggers = IntStream.range(0, 2).mapToObj(t -> new Thread(() -> {
      for (int i = 0; i < 500_000 && !Thread.currentThread().isInterrupted(); i++) {
        log("busy " + t);
      }
    })).toList();
    loggers.forEach(Thread::start);
    try {
      var waiters = IntStream.range(0, 2).mapToObj(t -> CompletableFuture.runAsync(() -> {
        for (int i = 0; i < 2000; i++) {
          log("effect " + t + ":" + i);
          BatchingConsoleAppender.whenWritten().orTimeout(5, TimeUnit.SECONDS).join();
        }
      })).toList();

      assertThat(CompletableFuture.allOf(waiters.toArray(CompletableFuture[]::new)))
          .succeedsWithin(Duration.ofSeconds(30));
    } finally {
      loggers.forEach(Thread::interrupt);
    }
  }

  /** What waited on a pass goes on on the writer's thread; its lines cannot wait for room in the writer's queue. */
  @Test
  void writesAtOnceWhatIsLoggedOnTheWriterAfterAPass() throws InterruptedException {
    restartWith(appender -> appender.setQueueSize(1));
    console.firstWriteGate = new CountDownLatch(1);
    log("the push");
    var ranOn = new AtomicReference<String>();
    CompletableFuture<Void> next = BatchingConsoleAppender.whenWritten().thenRun(() -> {
      ranOn.set(Thread.currentThread().getName());
      IntStream.rangeClosed(1, 3).forEach(i -> log("then " + i)); // more than the queue holds
    });
    assertThat(console.firstWriteWaiting.await(5, TimeUnit.SECONDS)).isTrue(); // registered before the pass ends

    console.firstWriteGate.countDown();

    assertThat(next).succeedsWithin(Duration.ofSeconds(5));
    assertThat(ranOn).hasValue("console-writer");
    assertThat(console.lines()).containsExactly("the push", "then 1", "then 2", "then 3");
  }

  @Test
  void neverSaysThatALineLoggedAfterTheStopIsWritten() {
    appender.stop();
    log("too late"); // a stopped appender drops it

    assertThat(BatchingConsoleAppender.whenWritten()).isNotDone();
    assertThat(console.lines()).isEmpty();
  }

  @Test
  void writesWhatIsStillQueuedWhenStopped() {
    restartWith(appender -> appender.setIntervalMs(Duration.ofHours(1).toMillis())); // only the stop can write them
    IntStream.rangeClosed(1, 10).forEach(i -> log("queued " + i));
    assertThat(console.lines()).isEmpty();

    appender.stop();

    assertThat(console.lines()).containsExactlyElementsOf(
        IntStream.rangeClosed(1, 10).mapToObj(i -> "queued " + i).toList());
  }
}
