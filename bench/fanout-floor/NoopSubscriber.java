import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A subscriber that does nothing (bench/fanout_floor.py): it announces the same bulk subscription as the real
 * ones, logs each event's arrival in the form the harness reads from them, and answers SUCCESS for every entry at
 * once. No idempotency records, no effect, no framework: what is left of the fan-out's time is the sidecars' and
 * the machine's. Not a product: it trusts its daprd and reads the delivery with two regular expressions.
 */
public final class NoopSubscriber {

  /** The real subscribers' log time: the machine's local time of day, to the ms. */
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(ZoneId.systemDefault());
  private static final Pattern ENTRY_ID = Pattern.compile("\"entryId\":\"([^\"]+)\"");
  private static final Pattern EVENT_ID = Pattern.compile("\"id\":\"([^\"]+)\"");
  private static final String SUBSCRIPTION = "[{\"pubsubName\":\"pubsub\",\"topic\":\"followerAdded\","
      + "\"route\":\"/followerAdded\",\"metadata\":{},"
      + "\"bulkSubscribe\":{\"enabled\":true,\"maxMessagesCount\":32,\"maxAwaitDurationMs\":5}}]";
  private static final PrintStream OUT = new PrintStream(System.out, false, StandardCharsets.UTF_8);

  public static void main(String[] args) throws IOException {
    // Else the JDK's server sends headers and body in two writes, and Nagle's algorithm waits for the client's
    // delayed ACK: 40 ms per delivery.
    System.setProperty("sun.net.httpserver.nodelay", "true");
    int port = Integer.parseInt(System.getenv("APP_PORT"));
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 512);
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.createContext("/", NoopSubscriber::answer);
    server.start();
    OUT.println("noop subscriber " + System.getenv("APP_ID") + " listening on " + port);
    OUT.flush();
  }

  private static void answer(HttpExchange exchange) throws IOException {
    byte[] request = exchange.getRequestBody().readAllBytes();
    String path = exchange.getRequestURI().getPath();
    String body = switch (path) {
      case "/dapr/subscribe" -> SUBSCRIPTION;
      case "/dapr/config" -> "{}";
      case "/actuator/health/readiness" -> "{\"status\":\"UP\"}";
      case "/followerAdded" -> deliver(new String(request, StandardCharsets.UTF_8));
      default -> null;
    };
    byte[] bytes = (body == null ? "{}" : body).getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", "application/json");
    exchange.sendResponseHeaders(body == null ? 404 : 200, bytes.length);
    exchange.getResponseBody().write(bytes);
    exchange.close();
  }

  /** Logs each entry's event as arrived now, and answers SUCCESS for all of them. */
  private static String deliver(String delivery) {
    String now = TIME.format(Instant.now());
    var log = new StringBuilder();
    var statuses = new StringBuilder("{\"statuses\":[");
    int entries = 0;
    // Each entry starts with its entryId; its event (an object, or a string of JSON) follows with its own id.
    for (String entry : delivery.replace("\\\"", "\"").split("(?=\"entryId\":\")")) {
      Matcher entryId = ENTRY_ID.matcher(entry);
      if (!entryId.lookingAt()) {
        continue;
      }
      Matcher eventId = EVENT_ID.matcher(entry);
      log.append(now).append(" INFO noop followerAdded id=").append(eventId.find() ? eventId.group(1) : "?")
          .append(" \n");
      statuses.append(entries++ == 0 ? "" : ",")
          .append("{\"entryId\":\"").append(entryId.group(1)).append("\",\"status\":\"SUCCESS\"}");
    }
    log.append(now).append(" INFO access POST /followerAdded 200 entries=").append(entries).append('\n');
    synchronized (OUT) {
      OUT.print(log);
      OUT.flush();
    }
    return statuses.append("]}").toString();
  }
}
