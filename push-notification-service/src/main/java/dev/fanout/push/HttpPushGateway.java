package dev.fanout.push;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fanout.subscriber.PermanentDeliveryFailure;
import java.io.IOException;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import reactor.core.publisher.Mono;

/**
 * POSTs the notification to the push gateway with OkHttp, asynchronously (no event-loop thread waits).
 * 2xx: delivered. 5xx, 408, 429, timeout or I/O error: transient, the event is redelivered. 3xx, 401, 403, 404,
 * 405, 407, 415: the gateway refuses us, not this notification (see {@link #retryable}), redelivered too. Any other
 * 4xx (400, 410, 422, …): the gateway will never accept this notification, so it is dropped (to the dead-letter
 * topic) with the reason. A gateway that refuses one recipient (an unknown device) must say so with one of those,
 * not with 404 or 403 as some do: those are taken for its configuration, and retried until it is fixed.
 */
class HttpPushGateway implements PushGateway {

  private static final MediaType JSON = MediaType.get("application/json");

  private final OkHttpClient client;
  private final HttpUrl url;
  private final ObjectMapper mapper;

  HttpPushGateway(OkHttpClient client, HttpUrl url, ObjectMapper mapper) {
    this.client = client;
    this.url = url;
    this.mapper = mapper;
  }

  @Override
  public Mono<Void> send(PushNotification notification) {
    return Mono.fromCallable(() -> request(notification))
        .flatMap(request -> Mono.<Void>create(sink -> {
          Call call = client.newCall(request);
          sink.onCancel(call::cancel);
          call.enqueue(new Callback() {
            @Override
            public void onFailure(Call call, IOException e) {
              sink.error(new IOException("push gateway unreachable: " + e, e));
            }

            @Override
            public void onResponse(Call call, Response response) {
              try (response) {
                int code = response.code();
                if (response.isSuccessful()) {
                  sink.success();
                } else if (retryable(code)) {
                  sink.error(new IOException("push gateway answered " + code + ", will retry"));
                } else {
                  sink.error(new PermanentDeliveryFailure(
                      "push gateway rejected the notification with " + code + ": " + excerpt(response)));
                }
              }
            }
          });
        }));
  }

  /**
   * Worth another try, by daprd: the gateway failed or was busy; 409, a request with this Idempotency-Key is still
   * in progress there (our earlier try, timed out on our side). And what needs a fix of the configuration, not of
   * the notification, so that the events wait in the broker meanwhile instead of every one being dropped: 3xx, the
   * gateway's address has moved; 401, 403 and 407, our credentials; 404, 405 and 415, a URL that is not the
   * gateway's push endpoint.
   */
  private static boolean retryable(int code) {
    return code >= 500 || (code >= 300 && code < 400) || switch (code) {
      case 401, 403, 404, 405, 407, 408, 409, 415, 429 -> true;
      default -> false;
    };
  }

  private Request request(PushNotification notification) throws JsonProcessingException {
    return new Request.Builder()
        .url(url)
        .header("Idempotency-Key", notification.eventId())
        .post(RequestBody.create(mapper.writeValueAsBytes(notification), JSON))
        .build();
  }

  private static String excerpt(Response response) {
    try {
      String body = response.peekBody(200).string().replace('\n', ' ').strip();
      return body.isEmpty() ? "(no body)" : body;
    } catch (IOException e) {
      return "(unreadable body)";
    }
  }
}
