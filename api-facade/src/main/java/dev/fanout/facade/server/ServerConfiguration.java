package dev.fanout.facade.server;

import org.springframework.boot.web.embedded.netty.NettyServerCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
class ServerConfiguration {

  @Bean
  ConnectionLimit connectionLimit(ServerLimits limits) {
    return new ConnectionLimit(limits.maxConnections());
  }

  @Bean
  NettyServerCustomizer requestTimeout(ServerLimits limits) {
    return server -> server.requestTimeout(limits.requestTimeout());
  }
}
