package dev.fanout.runner;

/** Where the output of every process goes, one line at a time, labelled by its source ("api-facade-1", "redis"). */
@FunctionalInterface
public interface LogSink {

  void line(String source, String line);

  /**
   * As {@link #line}, for a line that more of its source's lines follow at once, already read: a sink may hold it
   * back until the last of them, whose {@link #line} comes soon after. Other lines are to be passed on at once.
   */
  default void lineFollowedByMore(String source, String line) {
    line(source, line);
  }

  default LogSink and(LogSink other) {
    return new LogSink() {
      @Override
      public void line(String source, String line) {
        LogSink.this.line(source, line);
        other.line(source, line);
      }

      @Override
      public void lineFollowedByMore(String source, String line) {
        LogSink.this.lineFollowedByMore(source, line);
        other.lineFollowedByMore(source, line);
      }
    };
  }
}
