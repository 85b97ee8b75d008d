package dev.fanout.runner;

/** Where the output of every process goes, one line at a time, labelled by its source ("api-facade-1", "redis"). */
@FunctionalInterface
public interface LogSink {

  void line(String source, String line);

  default LogSink and(LogSink other) {
    return (source, line) -> {
      line(source, line);
      other.line(source, line);
    };
  }
}
