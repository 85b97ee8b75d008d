package dev.fanout.email;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

@SpringBootApplication
@ConfigurationPropertiesScan
public class EmailNotificationApplication {

  public static void main(String[] args) {
    SpringApplication.run(EmailNotificationApplication.class, args);
  }
}
