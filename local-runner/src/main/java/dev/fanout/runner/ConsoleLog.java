package dev.fanout.runner;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Prints every line as {@code docker compose up} does: {@code source | line}, aligned, coloured on a terminal.
 *
 * <p>Lines are written to the output together: a line that has more of its source's lines right behind it is held
 * until the last of them, which is written with every line held so far. Under load the stack prints thousands of
 * lines a second; one write each (the JDK's {@code System.out}) and a label formatted each time took the runner ~40 %
 * more CPU per line (BENCHMARKS.md, round 31), on the cores the stack shares. A line with nothing behind it goes out
 * at once, and one held goes out within {@link #HOLD_AT_MOST} (50 ms) whatever comes after it (a source that stops
 * halfway through its next line, the runner's exit).
 */
final class ConsoleLog implements LogSink {

  private static final List<String> COLOURS = List.of("36", "33", "32", "35", "34", "96", "93", "92", "95", "94");

  private final PrintStream out;
  private final boolean colour;
  private final int width;
  private final Map<String, String> labels = new ConcurrentHashMap<>();
  private final Duration holdAtMost;
  private boolean holding; // guarded by out

  static final Duration HOLD_AT_MOST = Duration.ofMillis(50);

  /** On this process's standard output. */
  static ConsoleLog onStandardOutput(boolean colour, int width) {
    return new ConsoleLog(new FileOutputStream(FileDescriptor.out), colour, width, HOLD_AT_MOST);
  }

  ConsoleLog(OutputStream out, boolean colour, int width, Duration holdAtMost) {
    this.out = new PrintStream(new BufferedOutputStream(out, 1 << 16), false, StandardCharsets.UTF_8);
    this.colour = colour;
    this.width = width;
    this.holdAtMost = holdAtMost;
    var flusher = new Thread(this::flushHeldLines, "console-flush");
    flusher.setDaemon(true);
    flusher.start();
  }

  /** Every {@code holdAtMost}, writes out what is still held: a bound on the wait, not the way lines leave. */
  private void flushHeldLines() {
    while (true) {
      try {
        Thread.sleep(holdAtMost.toMillis());
      } catch (InterruptedException e) {
        return;
      }
      synchronized (out) {
        if (holding) {
          out.flush();
          holding = false;
        }
      }
    }
  }

  @Override
  public void line(String source, String line) {
    write(source, line, true);
  }

  @Override
  public void lineFollowedByMore(String source, String line) {
    write(source, line, false);
  }

  private void write(String source, String line, boolean flush) {
    String label = labels.computeIfAbsent(source, this::label);
    synchronized (out) {
      out.print(label);
      out.print(' ');
      out.print(line);
      out.print('\n');
      if (flush) {
        out.flush();
      }
      holding = !flush;
    }
  }

  private String label(String source) {
    String label = String.format("%-" + width + "s |", source);
    // Called inside computeIfAbsent: the sources labelled so far give the colour, each its own until they repeat.
    return colour ? "\u001b[" + COLOURS.get(labels.size() % COLOURS.size()) + "m" + label + "\u001b[0m" : label;
  }
}
