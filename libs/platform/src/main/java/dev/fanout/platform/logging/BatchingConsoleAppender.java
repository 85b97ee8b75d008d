package dev.fanout.platform.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import ch.qos.logback.core.encoder.Encoder;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The console appender of all three apps: a thread of its own writes the lines to standard output every
 * {@code intervalMs} ms (10 by default), all the lines waiting in one {@code write(2)}, instead of one write per line
 * on the thread that logged. Under load every app logs at least one line per request or event. A logger only queues
 * its line and does not wake the writer: handing each line to a waiting writer costs a thread wake-up, which is what
 * the write it replaces cost (BENCHMARKS.md, round 12). So a line appears about {@code intervalMs} ms after it is
 * logged at most. (The writer's own lines, logged by what it runs after a pass, it writes at once.)
 *
 * <p>Nothing is dropped: when {@code queueSize} lines wait, a logging thread wakes the writer and waits for room.
 * On stop (the JVM's shutdown, through Spring Boot's logging shutdown hook) the lines still queued are written before
 * it returns.
 * The lines of a process killed outright may be lost, as with any buffer, but only those of the last instant. Where a
 * line is itself an effect (the subscribers' default email and push senders write theirs to the log), the effect is
 * only done once {@link #whenWritten()} says its line is out: recorded as done before that, a kill in between would
 * lose it for good, since the redelivered event is then a duplicate (FaultsIT caught one). Whoever waits so wakes the
 * writer, once per pass, instead of waiting for its interval: a subscriber's delivery is not answered before its
 * effects are done, and daprd holds back the deliveries after it meanwhile (BENCHMARKS.md, round 21).
 *
 * <p>A write holds {@value #MAX_WRITE} bytes at most, whole lines: standard output is a pipe that daprd writes to as
 * well (scripts/entrypoint.sh), and Linux keeps a write to a pipe in one piece only up to that size (PIPE_BUF). A
 * longer one could have a line of daprd's land inside one of ours and cut it, in the logs a user reads and in those
 * the end-to-end tests count effects from. A single line longer than that still goes out in one write.
 */
public class BatchingConsoleAppender extends UnsynchronizedAppenderBase<ILoggingEvent> {

  private static final int MAX_BATCH = 512;

  static final int MAX_WRITE = 4096;

  private Encoder<ILoggingEvent> encoder;
  private int queueSize = 8192;
  private long intervalMs = 10;
  private BlockingQueue<ILoggingEvent> queue;
  private volatile Thread writer;
  /** Completed after the writer's next pass over the queue; shared by every caller until that pass begins. */
  private final AtomicReference<CompletableFuture<Void>> nextPass = new AtomicReference<>();

  private static volatile BatchingConsoleAppender running;

  /**
   * Completes once every line logged before the call, by this thread, is on standard output: at once where this
   * appender is not the one writing (the lines are then written as they are logged), else after the writer's next
   * pass, which the first caller of a pass wakes it for. It completes on the writer's thread (on the stopping one if
   * stop() comes first): what follows there must not block, nor wait on a line (what it logs is written at once).
   * Each caller gets its own future, so that one cancelling it cancels nobody else's. Once the appender has stopped,
   * and for one that races stop(), it never completes: the line may have come too late to be written (a stopped
   * appender drops what it is given), and an effect must not be claimed on a guess (the JVM is on its way out; the
   * event is redelivered). A new appender started (logging configured anew) takes over.
   */
  public static CompletableFuture<Void> whenWritten() {
    BatchingConsoleAppender appender = running;
    if (appender == null || Thread.currentThread() == appender.writer) {
      return CompletableFuture.completedFuture(null); // the writer's own lines are out already (append)
    }
    if (!appender.isStarted()) {
      return new CompletableFuture<>();
    }
    return appender.nextPass().copy();
  }

  private CompletableFuture<Void> nextPass() {
    CompletableFuture<Void> pass = nextPass.get();
    while (pass == null) {
      CompletableFuture<Void> first = new CompletableFuture<>();
      if (nextPass.compareAndSet(null, first)) {
        // One wake-up per pass, whoever else joins it: parked or writing, the writer passes again at once.
        LockSupport.unpark(writer);
        return first;
      }
      pass = nextPass.get();
    }
    return pass;
  }

  public void setEncoder(Encoder<ILoggingEvent> encoder) {
    this.encoder = encoder;
  }

  public void setQueueSize(int queueSize) {
    this.queueSize = queueSize;
  }

  public void setIntervalMs(long intervalMs) {
    this.intervalMs = intervalMs;
  }

  @Override
  public void start() {
    if (encoder == null) {
      addError("No encoder set for the appender named [" + name + "].");
      return;
    }
    queue = new ArrayBlockingQueue<>(queueSize);
    writer = new Thread(this::writeUntilStopped, "console-writer");
    writer.setDaemon(true); // stop() drains what is left; the thread must not keep the JVM alive
    super.start();
    writer.start();
    running = this;
  }

  @Override
  protected void append(ILoggingEvent event) {
    if (Thread.currentThread() == writer) {
      // What a pass's waiters do next runs here, and may log: the writer must never wait for room in its own queue.
      write(List.of(event));
      return;
    }
    // The writer formats the line later, on its own thread: fix now what depends on this thread or moment.
    event.prepareForDeferredProcessing();
    try {
      if (!queue.offer(event)) {
        LockSupport.unpark(writer); // a full queue is written now, not at the next tick: loggers wait on it
        queue.put(event);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      write(List.of(event)); // better out of order than lost
    }
  }

  private void writeUntilStopped() {
    List<ILoggingEvent> batch = new ArrayList<>(MAX_BATCH);
    while (isStarted()) {
      // Someone waiting, on a pass or for room, is the signal, not the unpark: the writer's other waits (the queue's
      // lock, while loggers put) may swallow that. Hence the order: the queue first, since asking it may wait for its
      // lock, and a pass asked for after that look still finds its unpark unspent when the writer parks.
      if (queue.remainingCapacity() > 0 && nextPass.get() == null) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(intervalMs));
      }
      if (Thread.interrupted()) {
        return; // stop() writes the rest
      }
      // Taken before draining: whoever asked had queued its line already, so this pass writes it.
      CompletableFuture<Void> pass = nextPass.getAndSet(null);
      // What is queued now and no more: lines that keep coming must not keep the pass's waiters waiting.
      for (int due = queue.size(); due > 0 && queue.drainTo(batch, Math.min(due, MAX_BATCH)) > 0; ) {
        write(batch);
        due -= batch.size();
        batch.clear();
      }
      if (pass != null) {
        pass.complete(null);
      }
    }
  }

  private void write(List<ILoggingEvent> batch) {
    var lines = new ByteArrayOutputStream(MAX_WRITE);
    for (ILoggingEvent event : batch) {
      byte[] line;
      try {
        line = encoder.encode(event);
      } catch (RuntimeException e) {
        addError("Could not format a log line.", e);
        continue;
      }
      if (lines.size() > 0 && lines.size() + line.length > MAX_WRITE) {
        writeOut(lines);
      }
      lines.writeBytes(line);
    }
    if (lines.size() > 0) {
      writeOut(lines);
    }
  }

  private static void writeOut(ByteArrayOutputStream lines) {
    // System.out, looked up each time, so that whoever redirected it (a test's output capture) sees the lines. One
    // call and a flush: one write(2), whether its buffer takes the lines or they bypass it.
    System.out.write(lines.toByteArray(), 0, lines.size());
    System.out.flush();
    lines.reset();
  }

  @Override
  public void stop() {
    if (!isStarted()) {
      return;
    }
    super.stop(); // stays the one running, stopped: see whenWritten
    writer.interrupt(); // also unparks it
    try {
      writer.join(1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (!writer.isAlive()) { // else it is stuck writing, and the rest would interleave with its batch
      CompletableFuture<Void> pass = nextPass.getAndSet(null);
      List<ILoggingEvent> rest = new ArrayList<>(queue.size());
      if (queue.drainTo(rest) > 0) {
        write(rest);
      }
      if (pass != null) {
        pass.complete(null);
      }
    }
  }
}
