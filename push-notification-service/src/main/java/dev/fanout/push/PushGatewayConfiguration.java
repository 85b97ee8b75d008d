package dev.fanout.push;

import com.fasterxml.jackson.databind.ObjectMapper;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
class PushGatewayConfiguration {

  @Bean
  PushGateway pushGateway(PushProperties properties, ObjectMapper mapper) {
    if (properties.gatewayUrl() == null) {
      return new LoggingPushGateway();
    }
    HttpUrl url = HttpUrl.get(properties.gatewayUrl().toString());
    // One client: one connection pool and one dispatcher for the life of the app.
    OkHttpClient client = new OkHttpClient.Builder().callTimeout(properties.timeout()).build();
    return new HttpPushGateway(client, url, mapper);
  }
}
