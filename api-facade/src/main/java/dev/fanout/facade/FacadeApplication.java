package dev.fanout.facade;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

@SpringBootApplication
@ConfigurationPropertiesScan
public class FacadeApplication {

  public static void main(String[] args) {
    SpringApplication.run(FacadeApplication.class, args);
  }
}
