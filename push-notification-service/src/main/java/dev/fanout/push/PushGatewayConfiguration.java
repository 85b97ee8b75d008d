package dev.fanout.push;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.concurrent.TimeUnit;
import okhttp3.ConnectionPool;
import okhttp3.Dispatcher;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
class PushGatewayConfiguration {

  private static final int MAX_CONCURRENT_PUSHES = 64;

  @Bean
  PushGateway pushGateway(PushProperties properties, ObjectMapper mapper) {
    if (properties.gatewayUrl() == null) {
      return new LoggingPushGateway();
    }
    HttpUrl url = HttpUrl.get(properties.gatewayUrl().toString());
    // One client: one connection pool and one dispatcher for the life of the app. No silent re-sends of a POST
    // (OkHttp's default on a failed pooled connection, and on a 408): retrying is daprd's job, per
    // components/resiliency.yaml, visible in the logs and bounded by the retry budget.
    OkHttpClient client = new OkHttpClient.Builder()
        .callTimeout(properties.timeout())
        // OkHttp's own 10 s connect/read/write defaults would cut a call short of the configured timeout.
        .connectTimeout(properties.timeout())
        .readTimeout(properties.timeout())
        .writeTimeout(properties.timeout())
        .retryOnConnectionFailure(false)
        // A redirect would be followed as a GET without the notification, and its answer taken for the push's.
        .followRedirects(false)
        .followSslRedirects(false)
        // A bulk delivery's pushes go out together (up to 32, and the dead-letter route's beside them). OkHttp's
        // default dispatcher sends 5 at a time to one host, so a batch went in waves, each up to a timeout long
        // against a slow gateway, while the events behind it waited; its pool keeps 5 idle connections, so most
        // of a batch's would be opened anew each time.
        .dispatcher(dispatcher(MAX_CONCURRENT_PUSHES))
        .connectionPool(new ConnectionPool(MAX_CONCURRENT_PUSHES, 5, TimeUnit.MINUTES))
        .build();
    return new HttpPushGateway(client, url, mapper);
  }

  private static Dispatcher dispatcher(int maxConcurrent) {
    var dispatcher = new Dispatcher();
    dispatcher.setMaxRequests(maxConcurrent);
    dispatcher.setMaxRequestsPerHost(maxConcurrent);
    return dispatcher;
  }
}
