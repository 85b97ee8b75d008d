package dev.fanout.email;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Speaks just enough SMTP to take a message: advertises the EHLO extensions it was given, answers RCPT TO with the
 * reply it was given, and takes the message when that reply was 250. Keeps each command as the client sent it,
 * decoded as UTF-8, so that a test can see how an address went over the wire.
 */
final class FakeSmtpServer implements AutoCloseable {

  private final ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
  private final List<String> extensions;
  private final String rcptReply;
  private final List<String> commands = new CopyOnWriteArrayList<>();

  FakeSmtpServer(String rcptReply, String... extensions) throws IOException {
    this.rcptReply = rcptReply;
    this.extensions = List.of(extensions);
    var thread = new Thread(this::serve, "fake-smtp");
    thread.setDaemon(true);
    thread.start();
  }

  int port() {
    return socket.getLocalPort();
  }

  /** The commands received so far, from every connection, in order. */
  List<String> commands() {
    return List.copyOf(commands);
  }

  private void serve() {
    while (!socket.isClosed()) {
      try (Socket client = socket.accept(); var in = client.getInputStream(); var out = client.getOutputStream()) {
        converse(in, out);
      } catch (IOException closed) {
        return;
      }
    }
  }

  private void converse(InputStream in, OutputStream out) throws IOException {
    send(out, "220 fake ESMTP");
    for (String line; (line = readLine(in)) != null; ) {
      commands.add(line);
      String command = line.length() < 4 ? line : line.substring(0, 4).toUpperCase();
      switch (command) {
        case "EHLO" -> send(out, extensions.stream().map(extension -> "250-" + extension + "\r\n")
            .reduce("", String::concat) + "250 fake");
        case "HELO", "MAIL", "RSET", "NOOP" -> send(out, "250 2.0.0 Ok");
        case "RCPT" -> send(out, rcptReply);
        case "DATA" -> {
          if (!rcptReply.startsWith("250")) {
            send(out, "554 5.5.1 Error: no valid recipients");
            continue;
          }
          send(out, "354 End data with <CR><LF>.<CR><LF>");
          for (String data; (data = readLine(in)) != null && !data.equals("."); ) {
            // the message itself, not kept
          }
          send(out, "250 2.0.0 Ok: queued");
        }
        case "QUIT" -> {
          send(out, "221 2.0.0 Bye");
          return;
        }
        default -> send(out, "502 5.5.2 Error: command not recognized");
      }
    }
  }

  /** A line without its CRLF, its bytes read as UTF-8; null at the end of the stream. */
  private static String readLine(InputStream in) throws IOException {
    var line = new ByteArrayOutputStream();
    for (int b; (b = in.read()) >= 0; ) {
      if (b == '\n') {
        String text = line.toString(StandardCharsets.UTF_8);
        return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
      }
      line.write(b);
    }
    return null;
  }

  private static void send(OutputStream out, String reply) throws IOException {
    out.write((reply + "\r\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
