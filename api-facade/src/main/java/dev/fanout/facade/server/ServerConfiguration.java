package dev.fanout.facade.server;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
class ServerConfiguration {

  @Bean
  ConnectionLimit connectionLimit(ServerLimits limits) {
    return new ConnectionLimit(limits.maxConnections());
  }
}
