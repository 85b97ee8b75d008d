package dev.fanout.push;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

@SpringBootApplication
@ConfigurationPropertiesScan
public class PushNotificationApplication {

  public static void main(String[] args) {
    SpringApplication.run(PushNotificationApplication.class, args);
  }
}
