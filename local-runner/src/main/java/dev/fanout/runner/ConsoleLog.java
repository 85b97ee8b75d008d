package dev.fanout.runner;

import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Prints every line as {@code docker compose up} does: {@code source | line}, aligned, coloured on a terminal. */
final class ConsoleLog implements LogSink {

  private static final List<String> COLOURS = List.of("36", "33", "32", "35", "34", "96", "93", "92", "95", "94");

  private final PrintStream out;
  private final boolean colour;
  private final int width;
  private final Map<String, String> colourBySource = new ConcurrentHashMap<>();

  ConsoleLog(PrintStream out, boolean colour, int width) {
    this.out = out;
    this.colour = colour;
    this.width = width;
  }

  @Override
  public void line(String source, String line) {
    String label = String.format("%-" + width + "s |", source);
    if (colour) {
      String code = colourBySource.computeIfAbsent(source, s -> COLOURS.get(colourBySource.size() % COLOURS.size()));
      label = "\u001b[" + code + "m" + label + "\u001b[0m";
    }
    synchronized (out) {
      out.println(label + " " + line);
    }
  }
}
