package dev.fanout.e2e;

import dev.fanout.runner.LogSink;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Keeps every line the stack's processes print, by source, and copies them to a file for whoever has to read
 * what happened after a failure. The tests observe the system through these lines: what the services log is
 * what an operator would see.
 */
final class LogRecorder implements LogSink {

  record Line(String source, String text) {
  }

  private final ConcurrentLinkedQueue<Line> lines = new ConcurrentLinkedQueue<>();
  private final PrintWriter file;

  LogRecorder(Path file) throws IOException {
    Files.createDirectories(file.getParent());
    this.file = new PrintWriter(Files.newBufferedWriter(file), true);
  }

  @Override
  public void line(String source, String text) {
    lines.add(new Line(source, text));
    synchronized (file) {
      file.println(source + " | " + text);
    }
  }

  /** Lines of the sources whose name starts with {@code sourcePrefix} (an app-id: all its replicas). */
  List<Line> of(String sourcePrefix, Predicate<String> text) {
    return lines.stream().filter(l -> l.source().startsWith(sourcePrefix) && text.test(l.text())).toList();
  }

  /** The first group of {@code pattern} in every matching line of {@code sourcePrefix}. */
  List<String> captured(String sourcePrefix, Pattern pattern) {
    return lines.stream()
        .filter(l -> l.source().startsWith(sourcePrefix))
        .map(l -> pattern.matcher(l.text()))
        .filter(Matcher::find)
        .map(m -> m.group(1))
        .toList();
  }
}
